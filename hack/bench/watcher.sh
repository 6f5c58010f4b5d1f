#!/usr/bin/env bash
# Benchmarks the watcher on a fresh local cluster with kwok-simulated nodes
# (see hack/bench/watcher/main.go), then removes the cluster. Needs root.
#   hack/bench/watcher.sh [--pods-on-node N] [--total N] [--rate N] [--samples N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
kubeconfig=$(hack/cluster-up.sh)
trap 'hack/cluster-down.sh' EXIT
export KUBECTL_STACK_BIN_DIR
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh node)
go build -o /tmp/kubectl-stack-bench ./hack/bench/watcher
/tmp/kubectl-stack-bench --kubeconfig "$kubeconfig" "$@"
