#!/usr/bin/env bash
# Brings up hack/'s local cluster: one real node on this machine, built from
# the Go module proxy and Debian packages (first run: about 15 minutes of
# builds, cached afterwards). Prints the kubeconfig path on stdout.
# hack/cluster-down.sh removes it. Needs root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

need=()
for cmd in containerd runc ctr iptables ipset conntrack debootstrap; do
  command -v "$cmd" >/dev/null || need+=("$cmd")
done
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "missing: ${need[*]}; install with: apt-get install containerd runc iptables ipset conntrack debootstrap busybox-static" >&2
  exit 1
fi

export KUBECTL_STACK_BIN_DIR KUBECTL_STACK_IMAGES_DIR
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh node)
KUBECTL_STACK_IMAGES_DIR=$(hack/images/build.sh)
go run ./hack/localcluster up
