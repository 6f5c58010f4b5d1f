#!/usr/bin/env bash
# Benchmarks `kubectl stack apply` against kubectl's ApplySet apply, and the
# plugin's start-up against kubectl's (see hack/bench/apply/main.go).
#   hack/bench/apply.sh [--rounds N] [--starts N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/apply "$@"
