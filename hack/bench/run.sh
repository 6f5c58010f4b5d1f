#!/usr/bin/env bash
# make bench: every benchmark, each on a fresh local cluster, then one table
# (docs/benchmarks.md, also printed) and a chart of the ratios
# (docs/benchmarks.png). Needs root. Takes about 45 minutes on 2 cores, half
# of it the 2 GB backup and restore rows.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"
export BENCH_RESULTS
BENCH_RESULTS=$(mktemp /tmp/kubectl-stack-bench-XXXXXX.tsv)
hack/bench/apply.sh
hack/bench/history.sh
hack/bench/logs.sh
hack/bench/status.sh
hack/bench/status.sh --pods 5000 --runs 5
hack/bench/list.sh
hack/bench/backup.sh
hack/bench/backup.sh --mb 200 --tables 20 --runs 1
hack/bench/backup.sh --mb 2000 --tables 20 --runs 1
hack/bench/pitr.sh
hack/bench/ha.sh
hack/bench/watcher.sh
hack/bench/watcher.sh --pods-on-node 10000 --total 10000
hack/bench/images.sh
mkdir -p docs
go run ./hack/bench/report --in "$BENCH_RESULTS" --md docs/benchmarks.md --png docs/benchmarks.png
rm -f "$BENCH_RESULTS"
