#!/usr/bin/env bash
# Benchmarks `kubectl stack status` against `kubectl get pods -o wide` on a
# fresh local cluster with kwok-simulated nodes (see hack/bench/status/main.go),
# then removes the cluster. Needs root.
#   hack/bench/status.sh [--pods N] [--runs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
kubeconfig=$(hack/cluster-up.sh)
trap 'hack/cluster-down.sh' EXIT
export KUBECTL_STACK_BIN_DIR
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh node)
go build -o /tmp/kubectl-stack-bench-status-runner ./hack/bench/status
/tmp/kubectl-stack-bench-status-runner --kubeconfig "$kubeconfig" --kubectl "$KUBECTL_STACK_BIN_DIR/kubectl" "$@"
