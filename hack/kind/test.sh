#!/usr/bin/env bash
# The end-to-end tests on a kind cluster of three real nodes: the same tests
# as on hack/'s local node, with KUBECTL_STACK_E2E_CLUSTER=kind. Docker comes
# from hack/kind/docker-up.sh (stopped again at the end if it started it),
# the node image from hack/kind/build-node-image.sh, both cached.
#   hack/kind/test.sh        every test (make test-kind; about 21 minutes warm)
#   hack/kind/test.sh demo   the dev overlay's first steps, what `make demo`
#                            promises, and prod-ha's pod and node loss
#                            and its scheduled backup and archiver (make
#                            test runs this part: a cold CI run with every
#                            test on kind came within minutes of CI's 90)
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
scope=${1:-all}
run=.
case "$scope" in
  all) ;;
  # The steps of TestDevStack and TestProdHA whose Scopes name demo
  # (testrig/steps): no other test runs, and a scope that selects no step
  # fails.
  demo) run='^(TestDevStack|TestProdHA)$' ;;
  *) echo "usage: $0 [demo]" >&2; exit 2 ;;
esac
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
log "Docker, binaries, images and the node image ready in $((SECONDS - start)) s"
export PATH="$KUBECTL_STACK_BIN_DIR:$PATH"
KUBECTL_STACK_E2E_SCOPE=$scope KUBECTL_STACK_E2E_CLUSTER=kind with_step_times go test -count=1 -tags e2e -timeout 45m -run "$run" ./test/e2e/
