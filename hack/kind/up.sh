#!/usr/bin/env bash
# The kind path of `make demo`: create the kind cluster of hack/kind/config.yaml,
# load the images the dev overlay runs, apply overlays/dev and show the stack.
#   hack/kind/up.sh          dev: one node
#   hack/kind/up.sh prod     prod: three nodes (create the prod Secret first:
#                            docs/overlays.md); its images are pulled by digest
#
# The node image: $KIND_NODE_IMAGE when set (a Docker user with internet:
# KIND_NODE_IMAGE=kindest/node:v1.37.2, and the public images are pulled as
# usual), else the one hack/kind/build-node-image.sh builds here with no
# registry; the images of hack/images/build.sh are then loaded into the nodes.
# Docker: the running daemon, else hack/kind/docker-up.sh starts one.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"
variant=${1:-dev}
config=hack/kind/config.yaml
[ "$variant" = prod ] && config=hack/kind/config-prod.yaml
name=$(kind_cluster_name "$config")

hack/kind/docker-up.sh
offline=false
if [ -z "${KIND_NODE_IMAGE:-}" ]; then
  offline=true
  KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh kind)
  export KUBECTL_STACK_BIN_DIR
  export PATH="$KUBECTL_STACK_BIN_DIR:$PATH"
  KUBECTL_STACK_IMAGES_DIR=$(hack/images/build.sh)
  export KUBECTL_STACK_IMAGES_DIR
  KIND_NODE_IMAGE=$(hack/kind/build-node-image.sh)
fi
command -v kind >/dev/null || { echo "kind is not installed: go install sigs.k8s.io/kind@v0.33.0" >&2; exit 1; }

if ! kind get clusters 2>/dev/null | grep -qx "$name"; then
  kind create cluster --config "$config" --image "$KIND_NODE_IMAGE"
fi
# The database's folder, owned by its user: kubelet never chowns a hostPath volume.
for n in $(kind get nodes --name "$name"); do
  docker exec "$n" sh -c "mkdir -p $data_dir && chown $database_uid:$database_uid $data_dir"
done

if [ "$variant" = dev ]; then
  if $offline; then
    # No registry: every image of the dev overlay, built here.
    for i in busybox nginx mysql mariadb watcher plugin; do
      kind load image-archive "$KUBECTL_STACK_IMAGES_DIR/$i.tar" --name "$name"
    done
  else
    # The project's own images, as the release builds them.
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    for p in watcher kubectl-stack; do
      go run ./hack/images/wrap -program "kubectl-stack/$p" -ref "kubectl-stack/$p:dev" -out "$tmp/$p.tar"
      kind load image-archive "$tmp/$p.tar" --name "$name"
    done
  fi
fi

make --no-print-directory build
bin/kubectl-stack --context "kind-$name" apply -k "overlays/$variant"
echo
bin/kubectl-stack --context "kind-$name" status
echo
echo "web tier:   http://127.0.0.1:30080/   (serving-host as JSON: http://127.0.0.1:30080/serving-host)"
echo "context:    kind-$name"
echo "remove:     make demo-down"
