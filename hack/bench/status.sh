#!/usr/bin/env bash
# Benchmarks `kubectl stack status` against `kubectl get pods -o wide` with
# kwok-simulated nodes (see hack/bench/status/main.go).
#   hack/bench/status.sh [--pods N] [--runs N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/status "$@"
