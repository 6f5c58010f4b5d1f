#!/usr/bin/env bash
# Benchmarks `kubectl stack images push` against `crane copy` of the same
# image between the same two local registries (see hack/bench/images/main.go).
#   hack/bench/images.sh [--rounds N]
# Needs no cluster.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh bench)
export KUBECTL_STACK_BIN_DIR
exec go run ./hack/bench/images "$@"
