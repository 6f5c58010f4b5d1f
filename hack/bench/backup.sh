#!/usr/bin/env bash
# Benchmarks `kubectl stack backup` against `kubectl exec mysql-0 -- mysqldump
# | gzip` (see hack/bench/backup/main.go).
#   hack/bench/backup.sh [--mb N] [--runs N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/backup "$@"
