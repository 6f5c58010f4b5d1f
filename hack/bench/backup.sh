#!/usr/bin/env bash
# Benchmarks `kubectl stack backup` (to a file and to an S3 bucket) and
# `restore` against the pipes a user would otherwise type (see
# hack/bench/backup/main.go).
#   hack/bench/backup.sh [--mb N] [--runs N]
# On a fresh local cluster, removed afterwards; needs root. The anchor's
# streaming S3 uploader, mc, is built from the Go module proxy and cached.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# mc has no tagged module versions; this is the newest the proxy serves.
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9
export MC="$cache/bench-bin/mc-$MC_VERSION"
if [ ! -x "$MC" ]; then
  log "building mc from the Go module proxy"
  tmp=$(mktemp -d)
  (cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags=-s "github.com/minio/mc@$MC_VERSION")
  mkdir -p "$(dirname "$MC")"
  mv "$tmp/mc" "$MC"
  rm -rf "$tmp"
fi
exec "$root/hack/bench/with-cluster.sh" ./hack/bench/backup "$@"
