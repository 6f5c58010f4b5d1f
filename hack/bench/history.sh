#!/usr/bin/env bash
# Benchmarks `kubectl stack apply` with revisions against the plugin before
# them (see hack/bench/history/main.go).
#   hack/bench/history.sh [--rounds N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/history "$@"
