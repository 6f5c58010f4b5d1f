# Sourced by hack/images/build.sh and hack/kind/build-node-image.sh, which
# both debootstrap root filesystems.

# debian_mirror prints the Debian mirror this machine's apt already uses.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { echo "no Debian mirror found in apt's sources" >&2; exit 1; }
  echo "$uri"
}
