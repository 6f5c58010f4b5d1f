#!/usr/bin/env bash
# Benchmarks the watcher with kwok-simulated nodes: its resident memory
# against a plain informer, and its create-to-log latency (see
# hack/bench/watcher/main.go).
#   hack/bench/watcher.sh [--pods-on-node N] [--total N] [--rate N] [--samples N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/watcher "$@"
