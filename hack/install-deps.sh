#!/usr/bin/env bash
# Installs the Debian packages hack/ and the tests need, when they are
# missing: the one list of them. Run by hack/local/up.sh, hack/test.sh and
# make lint, so `make demo` and `make test` work on a fresh machine.
#   hack/install-deps.sh        everything below
#   hack/install-deps.sh lint   shellcheck only (make lint)
# What each is for:
#   diff: what `kubectl stack diff` runs, as kubectl diff does
#   containerd, runc, iptables, ipset, conntrack: the local node
#   debootstrap, busybox-static: the images' root filesystems
#   docker.io: kind (hack/kind/docker-up.sh starts its dockerd)
#   the shell linter shellcheck: make lint checks hack/'s scripts with it
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
missing=()
need() { command -v "$1" >/dev/null || missing+=("$2"); }
need shellcheck shellcheck
if [ "${1:-}" != lint ]; then
  need diff diffutils
  need git git
  need containerd containerd
  need runc runc
  need iptables iptables
  need ipset ipset
  need conntrack conntrack
  need debootstrap debootstrap
  need dockerd docker.io
  [ -x /bin/busybox ] || missing+=(busybox-static)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  log "missing Debian packages: ${missing[*]}; run as root, or: apt-get install ${missing[*]}"
  exit 1
fi
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q "${missing[@]}" >&2
