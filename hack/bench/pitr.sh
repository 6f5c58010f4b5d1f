#!/usr/bin/env bash
# Benchmarks point-in-time recovery: the recovery point of the binary log
# archiver and the replay rate of `restore --to-position` against
# mysqlbinlog | mysql by hand (see hack/bench/pitr/main.go).
#   hack/bench/pitr.sh [--writes N] [--rows N] [--runs N]
# On a fresh local cluster, removed afterwards; needs root.
exec "$(dirname "$0")/with-cluster.sh" ./hack/bench/pitr "$@"
