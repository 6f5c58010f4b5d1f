#!/usr/bin/env bash
# The end-to-end tests on a kind cluster of three real nodes: the same tests
# as on hack/'s local node, with KUBECTL_STACK_E2E_CLUSTER=kind. Docker comes
# from hack/kind/docker-up.sh (stopped again at the end if it started it),
# the node image from hack/kind/build-node-image.sh, both cached.
#   hack/test-kind.sh        every test (make test-kind; about 21 minutes warm)
#   hack/test-kind.sh demo   the dev overlay's first steps, what `make demo`
#                            promises (make test runs this part: a cold CI run
#                            with every test on kind came within minutes of
#                            CI's 90)
set -euo pipefail
scope=${1:-all}
run=.
case "$scope" in
  all) ;;
  demo) run='^TestDevStack$/^(apply|3_web_pods_run|NodePort_30080|status_shows|CoreDNS_resolves|netcheck:_static)' ;;
  *) echo "usage: $0 [demo]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

hack/install-deps.sh
start=$SECONDS
export KUBECTL_STACK_BIN_DIR KUBECTL_STACK_IMAGES_DIR KUBECTL_STACK_KIND_NODE_IMAGE
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh kind)
KUBECTL_STACK_IMAGES_DIR=$(hack/images/build.sh)
started_docker=false
docker info >/dev/null 2>&1 || started_docker=true
hack/kind/docker-up.sh
if $started_docker; then
  trap 'hack/kind/docker-down.sh' EXIT
fi
KUBECTL_STACK_KIND_NODE_IMAGE=$(hack/kind/build-node-image.sh)
echo "test-kind: Docker, binaries, images and the node image ready in $((SECONDS - start)) s" >&2
export PATH="$KUBECTL_STACK_BIN_DIR:$PATH"
KUBECTL_STACK_E2E_CLUSTER=kind go test -count=1 -tags e2e -timeout 45m -run "$run" ./test/e2e/
