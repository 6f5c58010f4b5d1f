#!/usr/bin/env bash
# Removes hack/'s local cluster: stops what hack/local/up.sh started (by
# PID) and removes its mounts, interfaces, firewall chains and state. The
# database's hostPath data ($data_dir of hack/lib.sh) stays.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"
go run ./hack/local/cluster down
