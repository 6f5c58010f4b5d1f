#!/usr/bin/env bash
# Benchmarks `kubectl stack logs` against `kubectl logs -l ... --prefix` on
# the same pods (see hack/bench/logs/main.go).
#   hack/bench/logs.sh [--rounds N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/logs "$@"
