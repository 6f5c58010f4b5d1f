#!/usr/bin/env bash
# Installs the Debian packages the local node and the tests need, when they
# are missing: the one list of them. Run by .ci/run, hack/cluster-up.sh and
# hack/test.sh, so `make demo` and `make test` work on a fresh machine.
#   diff: what `kubectl stack diff` runs, as kubectl diff does
#   containerd, runc, iptables, ipset, conntrack: the local node
#   debootstrap, busybox-static: the images' root filesystems
#   docker.io: kind (hack/kind/docker-up.sh starts its dockerd)
set -euo pipefail
missing=()
need() { command -v "$1" >/dev/null || missing+=("$2"); }
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
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root, or: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q "${missing[@]}" >&2
