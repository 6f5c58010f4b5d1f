#!/usr/bin/env bash
# Benchmarks `kubectl stack backup` against `kubectl exec mysql-0 -- mysqldump
# | gzip` on a fresh local cluster running overlays/dev (see
# hack/bench/backup/main.go), then removes the cluster. Needs root.
#   hack/bench/backup.sh [--mb N] [--runs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
kubeconfig=$(hack/cluster-up.sh)
trap 'hack/cluster-down.sh' EXIT
bin=$(hack/build-binaries.sh node)
go build -o /tmp/kubectl-stack-bench-backup-runner ./hack/bench/backup
/tmp/kubectl-stack-bench-backup-runner --kubeconfig "$kubeconfig" --kubectl "$bin/kubectl" "$@"
