#!/usr/bin/env bash
# The README's test command (make test): every test, unit, API-server and
# end-to-end on hack/'s local node (but TestProdHA, which needs three real
# nodes), then on a kind cluster of three nodes the dev overlay's first
# end-to-end steps and prod-ha's pod and node loss (hack/kind/test.sh demo;
# make test-kind runs every test there). Builds what the tests need first, from
# the Go module proxy and Debian packages, cached after the first run.
# Needs root (the local node); hack/install-deps.sh installs what is missing.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

hack/install-deps.sh
export KUBECTL_STACK_BIN_DIR KUBECTL_STACK_IMAGES_DIR
start=$SECONDS
# The images that need none of the binaries (Debian's packages, busybox,
# pause) are built beside them: their downloads and unpacking overlap the
# compiles.
hack/images/build.sh pause busybox nginx mysql mariadb >/dev/null &
debian_images=$!
# kind's set too, in the same builds: the demo on kind runs last.
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh kind)
wait "$debian_images"
KUBECTL_STACK_IMAGES_DIR=$(hack/images/build.sh)
log "binaries and images ready in $((SECONDS - start)) s"
# kubectl v1.37 from the build goes first on PATH: the tests compare with
# `kubectl kustomize` and run `kubectl stack` through its plugin discovery.
export PATH="$KUBECTL_STACK_BIN_DIR:$PATH"
with_step_times go test -count=1 -tags e2e,integration -timeout 50m -skip '^TestProdHA$' ./...
hack/kind/test.sh demo
