#!/usr/bin/env bash
# The README's main job: bring up a cluster (kind when Docker runs here,
# else hack/'s local node), apply overlays/dev with the plugin, and show the
# stack (kubectl stack status) and its URL. `hack/demo.sh down` removes the
# clusters it started (the data folder stays) and stops the Docker daemon
# hack/kind/docker-up.sh started, if any.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

if [ "${1:-}" = down ]; then
  if docker info >/dev/null 2>&1; then
    kind=$(command -v kind || echo "$(hack/build-binaries.sh kind)/kind")
    for config in hack/kind/config.yaml hack/kind/config-prod.yaml; do
      name=$(kind_cluster_name "$config")
      if "$kind" get clusters 2>/dev/null | grep -qx "$name"; then
        "$kind" delete cluster --name "$name"
      fi
    done
  fi
  hack/kind/docker-down.sh
  exec hack/local/down.sh
fi

# Docker installed (running or not): the kind path.
if command -v dockerd >/dev/null || docker info >/dev/null 2>&1; then
  exec hack/kind/up.sh
fi

make --no-print-directory build
kubeconfig=$(hack/local/up.sh)
export KUBECONFIG=$kubeconfig
export PATH="$root/bin:$PATH"
bin/kubectl-stack apply -k overlays/dev
echo
bin/kubectl-stack status
ip=$(primary_address)
echo
echo "web tier:   http://$ip:30080/   (serving-host as JSON: http://$ip:30080/serving-host)"
echo "kubeconfig: export KUBECONFIG=$kubeconfig"
echo "remove:     make demo-down"
