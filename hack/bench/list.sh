#!/usr/bin/env bash
# Benchmarks `kubectl stack list` with many stacks against `kubectl get
# secrets -A` of their revisions (see hack/bench/list/main.go).
#   hack/bench/list.sh [--stacks N] [--runs N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/list "$@"
