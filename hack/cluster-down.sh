#!/usr/bin/env bash
# Removes hack/'s local cluster: stops what hack/cluster-up.sh started (by
# PID) and removes its mounts, interfaces, firewall chains and state. The
# database's hostPath data (/var/lib/kubectl-stack/mysql) stays.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./hack/localcluster down
