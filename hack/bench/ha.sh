#!/usr/bin/env bash
# Benchmarks the HA tier against the single server on the same cluster with
# the same writer: commit throughput and latency, and the longest pause in
# writes when a member's pod is deleted or its server killed (see
# hack/bench/ha/main.go).
#   hack/bench/ha.sh [--commits N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/ha "$@"
