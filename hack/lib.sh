# shellcheck shell=bash disable=SC2034 # the variables are the sourcing scripts'
# Sourced by every script of hack/: the one place that says where the
# checkout is, where hack/ keeps what it builds, what it pins and the facts
# of the dev environment it sets up. The Go side reads the same variables
# (testrig/localcluster.CacheDir) and constants (pkg/stack.DevDataDir,
# DatabaseUID); testrig/localcluster's tests keep the two in step.
set -euo pipefail

# root is the checkout.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# cache holds everything hack/ builds or starts, each in a folder below it
# named after what it pins, so a change of version rebuilds.
cache=${KUBECTL_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-stack}
# shellcheck source=versions.env
source "$root/hack/versions.env"

# data_dir is the dev overlay's database folder on a node (its hostPath
# volume), owned by database_uid, the user the database runs as: kubelet
# never chowns a hostPath volume, so hack/ creates it so.
data_dir=/var/lib/kubectl-stack/mysql
database_uid=999

# log prints a line on stderr, after the script's path in hack/ (kind/test).
log() {
  local name=${0##*hack/}
  echo "${name%.sh}: $*" >&2
}

# primary_interface and primary_address: the default route's interface and
# this machine's own address on it, the only address besides loopback that
# hack/ sends anything to.
primary_interface() { awk '$2 == "00000000" {print $1; exit}' /proc/net/route; }
primary_address() {
  ip -4 -o addr show dev "$(primary_interface)" | awk '{split($4, a, "/"); print a[1]; exit}'
}

# kind_cluster_name CONFIG prints the cluster name a kind configuration sets.
kind_cluster_name() { awk '/^name:/ {print $2}' "$1"; }

# debian_mirror prints the Debian mirror this machine's apt already uses:
# the root filesystems (hack/images, hack/kind) come from it.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { echo "no Debian mirror found in apt's sources" >&2; exit 1; }
  echo "$uri"
}

# with_step_times CMD...: runs CMD with $KUBECTL_STACK_STEP_TIMES naming a
# file testrig/steps appends each end-to-end step's time to, then prints
# the ten slowest and their sum, so a run's log says where its time went.
# Returns CMD's status.
with_step_times() {
  local times rc=0
  times=$(mktemp /tmp/kubectl-stack-steps-XXXXXX)
  KUBECTL_STACK_STEP_TIMES=$times "$@" || rc=$?
  if [ -s "$times" ]; then
    log "slowest steps (seconds), of $(awk '{s += $1} END {printf "%.0f", s}' "$times") s in all:"
    # awk reads to the end: head would close the pipe early, and under
    # pipefail sort's SIGPIPE (141) would fail a run whose tests passed.
    sort -rn "$times" | awk 'NR <= 10 { print substr($0, 1, 160) }' >&2
  fi
  rm -f "$times"
  return "$rc"
}
