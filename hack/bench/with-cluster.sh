#!/usr/bin/env bash
# Runs one benchmark program on a fresh local cluster, then removes the
# cluster: hack/bench/with-cluster.sh PACKAGE [ARGS...], where PACKAGE is
# ./hack/bench/<name>. The program gets --kubeconfig before ARGS, and
# $KUBECTL names the cluster's own kubectl. Needs root.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"
pkg=$1
shift
kubeconfig=$(hack/local/up.sh)
# hack/bench/overlay's data folder: the benchmarks' rows and binary logs
# never go into the user's.
data=/var/lib/kubectl-stack/bench/mysql
rm -rf "$data" && mkdir -p "$data" && chown "$database_uid:$database_uid" "$data"
runner=$(mktemp /tmp/kubectl-stack-bench-XXXXXX)
trap 'hack/local/down.sh; rm -rf "$data"; rmdir "${data%/*}" 2>/dev/null || true; rm -f "$runner"' EXIT
export KUBECTL_STACK_BIN_DIR
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh node)
go build -o "$runner" "$pkg"
KUBECTL="$KUBECTL_STACK_BIN_DIR/kubectl" "$runner" --kubeconfig "$kubeconfig" "$@"
