#!/usr/bin/env bash
# The end-to-end tests on a kind cluster of three real nodes (make test-kind;
# make test runs it after the local node's): the same tests as on hack/'s
# local node, with KUBECTL_STACK_E2E_CLUSTER=kind. Docker comes from
# hack/kind/docker-up.sh (stopped again at the end if it started it), the
# node image from hack/kind/build-node-image.sh, both cached.
set -euo pipefail
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
KUBECTL_STACK_E2E_CLUSTER=kind go test -count=1 -tags e2e -timeout 45m ./test/e2e/
