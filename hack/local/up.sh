#!/usr/bin/env bash
# Brings up hack/'s local cluster: one real node on this machine, built from
# the Go module proxy and Debian packages (first run: about 25 minutes of
# builds, cached afterwards; missing Debian packages are installed first).
# Prints the kubeconfig path on stdout.
# hack/local/down.sh removes it. Needs root.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"

hack/install-deps.sh

export KUBECTL_STACK_BIN_DIR KUBECTL_STACK_IMAGES_DIR
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh node)
KUBECTL_STACK_IMAGES_DIR=$(hack/images/build.sh)
go run ./hack/local/cluster up
