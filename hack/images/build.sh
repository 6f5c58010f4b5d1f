#!/usr/bin/env bash
# Builds the images the local node runs, with no registry and no Docker:
# root filesystems from Debian packages (debootstrap, busybox-static) and the
# project's own Go programs, wrapped as image tarballs by hack/images/wrap
# under the exact references the manifests use. Cached under a versioned
# folder; prints the folder. The reference of each image is written in one
# place: the table at the end of this file.
#   hack/images/build.sh           every image
#   hack/images/build.sh NAME...   only these (the table's names); those made
#                                  from Debian's packages need no binaries of
#                                  hack/build-binaries.sh, so hack/test.sh
#                                  builds them beside it
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
here=$root/hack/images
# Bump after changing how an image is built, so the cached one is rebuilt.
revision=2
out="$cache/images/$DEBIAN_SUITE-r$revision"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wrap DIR REF OUT [imagebuild flags...]: tar DIR and make it an image.
wrap() {
  local dir=$1 ref=$2 file=$3; shift 3
  tar --numeric-owner -C "$dir" -cf "$work/layer.tar" .
  (cd "$root" && go run ./hack/images/wrap -layer "$work/layer.tar" -ref "$ref" -out "$file" "$@")
  rm -f "$work/layer.tar"
}

debian_rootfs() { # DIR PACKAGES
  debootstrap --variant=minbase --include="$2" "$DEBIAN_SUITE" "$1" "$(debian_mirror)" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/usr/share/doc "$1"/usr/share/man
}

build_pause() {
  mkdir -p "$work/pause"
  (cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/pause/pause" ./hack/images/pause)
  wrap "$work/pause" "$1" "$2" -entrypoint /pause -user 65535
}

build_busybox() {
  local d="$work/busybox"
  mkdir -p "$d/bin" "$d/tmp" "$d/etc"
  cp /bin/busybox "$d/bin/busybox"
  # Relative links: busybox --install would link to the path it ran from.
  for applet in $(/bin/busybox --list); do
    [ -e "$d/bin/$applet" ] || ln -s busybox "$d/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
  chmod 1777 "$d/tmp"
  wrap "$d" "$1" "$2" -cmd sh -env PATH=/bin
}

build_nginx() {
  local d="$work/nginx"
  debian_rootfs "$d" nginx
  # As in the official image: logs go to the container's output, so nginx
  # can start as a non-root user under a read-only root filesystem.
  ln -sf /dev/stdout "$d/var/log/nginx/access.log"
  ln -sf /dev/stderr "$d/var/log/nginx/error.log"
  wrap "$d" "$1" "$2" -entrypoint nginx -cmd -g -cmd "daemon off;" \
    -env PATH=/usr/sbin:/usr/bin:/sbin:/bin -user 33
}

# debian_database_user DIR: the official images' mysql user and group (the
# manifests run the database as them), the server listening beyond
# loopback, and the folder for first-start scripts.
debian_database_user() {
  chroot "$1" sh -c "groupmod -g $database_uid mysql && usermod -u $database_uid -g $database_uid mysql && mkdir -p /run/mysqld && chown -R $database_uid:$database_uid /var/lib/mysql /run/mysqld"
  # Debian binds to 127.0.0.1 in a file read after the project's my.cnf.
  sed -i 's/^bind-address/#bind-address/' "$1/etc/mysql/mariadb.conf.d/50-server.cnf"
  mkdir -p "$1/docker-entrypoint-initdb.d"
}

build_mysql() {
  local d="$work/mysql"
  debian_rootfs "$d" mariadb-server,mariadb-client
  debian_database_user "$d"
  install -m 0755 "$here/mysql-entrypoint.sh" "$d/usr/local/bin/docker-entrypoint.sh"
  wrap "$d" "$1" "$2" -entrypoint /usr/local/bin/docker-entrypoint.sh \
    -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -user "$database_uid"
}

# The HA tier's server (components/galera): MariaDB with the Galera provider,
# and what its state transfers run (mariadb-backup, socat, ps, ss), under
# the official mariadb image's reference, entrypoint contract and user.
build_mariadb() {
  local d="$work/mariadb"
  debian_rootfs "$d" mariadb-server,mariadb-client,mariadb-backup,galera-4,socat,procps,iproute2
  debian_database_user "$d"
  install -m 0755 "$here/mysql-entrypoint.sh" "$d/usr/local/bin/docker-entrypoint.sh"
  wrap "$d" "$1" "$2" -entrypoint /usr/local/bin/docker-entrypoint.sh \
    -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -user "$database_uid"
}

build_coredns() {
  local bin=${KUBECTL_STACK_BIN_DIR:?set KUBECTL_STACK_BIN_DIR to the folder hack/build-binaries.sh prints}
  mkdir -p "$work/coredns"
  cp "$bin/coredns" "$work/coredns/coredns"
  wrap "$work/coredns" "$1" "$2" -entrypoint /coredns -user 65532
}

# The project's own images come from the release's code (hack/images/imagebuild),
# for this machine's platform: the image tested is the image shipped.
build_watcher() {
  (cd "$root" && go run ./hack/images/wrap -program kubectl-stack/watcher -ref "$1" -out "$2")
}

# The plugin itself, for the scheduled backup's CronJob and the binary log
# archiver: the same code as `kubectl stack backup`.
build_plugin() {
  (cd "$root" && go run ./hack/images/wrap -program kubectl-stack/kubectl-stack -ref "$1" -out "$2")
}

# name                    reference the manifests (or containerd) use
images=(
  "pause                  kubectl-stack/pause:local"
  "busybox                busybox:1.36"
  "nginx                  nginx:1.27"
  "mysql                  mysql:8.4"
  "mariadb                mariadb:10.11"
  "coredns                kubectl-stack/coredns:local"
  "watcher                kubectl-stack/watcher:dev"
  "plugin                 kubectl-stack/kubectl-stack:dev"
)
wanted=" $* "
for line in "${images[@]}"; do
  read -r name ref <<<"$line"
  [ $# -eq 0 ] || [[ $wanted == *" $name "* ]] || continue
  file="$out/$name.tar"
  # The project's own programs are rebuilt every time: their source changes.
  [ -s "$file" ] && [ "$name" != watcher ] && [ "$name" != plugin ] && continue
  echo "building image $ref" >&2
  start=$SECONDS
  "build_$name" "$ref" "$file"
  log "built image $ref in $((SECONDS - start)) s"
done
echo "$out"
