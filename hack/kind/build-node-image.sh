#!/usr/bin/env bash
# Builds a kind node image with no registry: what `kind build node-image`
# makes, but from parts built here. kind's builder pulls kubeadm's images,
# its CNI's and its storage provisioner's from registries; here every part
# comes from Debian's packages and the Go module proxy:
#   - the root filesystem of kind's base image (images/base/Dockerfile of the
#     kind module pinned in hack/versions.env): Debian with systemd,
#     containerd and runc, kind's own files and services;
#   - kubeadm, kubelet, kubectl, crictl and the CNI plugins (hack/build-binaries.sh kind);
#   - the images kubeadm lists for the Kubernetes version, under the names
#     kubeadm asks for, the sandbox image of kind's containerd config, kind's
#     storage provisioner and helper under the names of kind's storage
#     manifest (read from kind's source), and kube-router, the default CNI
#     here (hack/kind/default-cni.yaml), all imported into the node's
#     containerd as kind's builder does (pinned, not unpacked).
# Prints the image's reference. Cached: the image in Docker, else its saved
# archive under the cache folder, else built (about 5 minutes).
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
here=$root/hack/kind
# Bump after changing how the image is built, so the cached one is rebuilt.
revision=2
ref="kubectl-stack/kind-node:$KUBERNETES_VERSION-r$revision"
archive="$cache/kind/node-$KUBERNETES_VERSION-r$revision.tar"
bin=${KUBECTL_STACK_BIN_DIR:?set KUBECTL_STACK_BIN_DIR to the folder hack/build-binaries.sh kind prints}
images=${KUBECTL_STACK_IMAGES_DIR:?set KUBECTL_STACK_IMAGES_DIR to the folder hack/images/build.sh prints}

if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
if [ -s "$archive" ]; then
  log "loading $archive"
  docker load -i "$archive" >/dev/null
  echo "$ref"
  exit 0
fi

work=$(mktemp -d)
container=""
# Runs under set -e: a cleanup step with nothing to clean must not fail the build.
cleanup() {
  if [ -n "$container" ]; then docker rm -f "$container" >/dev/null 2>&1 || true; fi
  if docker image inspect "$ref-base" >/dev/null 2>&1; then docker rmi "$ref-base" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

kind_dir=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | awk -F'"' '/"Dir"/ {print $4}')
files="$kind_dir/images/base/files"
kind_const() { (cd "$root" && go run ./hack/kind/kindconst "$kind_dir/pkg/build/nodeimage/$1" "$2"); }

# The packages of kind's base image that Debian has (kind builds containerd
# and runc itself; Debian's serve), plus ipset for kube-router, which runs
# from this same root filesystem.
packages=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,procps,jq,containerd,runc,ipset

build_rootfs() {
  local r=$1
  log "debootstrap $DEBIAN_SUITE with kind's base packages"
  debootstrap --variant=minbase --include="$packages" "$DEBIAN_SUITE" "$r" "$(debian_mirror)" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # kind's files, with the modes its Dockerfile gives them.
  install -m 0755 "$files"/usr/local/bin/* "$r/usr/local/bin/"
  cp -r "$files/kind" "$files/etc" "$r/"
  find "$r/kind" "$r/etc/containerd" "$r/etc/default" "$r/etc/sysctl.d" "$r/etc/systemd/system" "$r/etc/crictl.yaml" -type f -exec chmod 0644 {} +
  chmod 0755 "$r/kind" "$r/kind/bin" "$r"/kind/bin/*
  # What the Dockerfile's RUN steps do after installing the packages.
  find "$r/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
  rm -f "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/etc/systemd/system/*.wants/* \
    "$r"/lib/systemd/system/local-fs.target.wants/* "$r"/lib/systemd/system/sockets.target.wants/*udev* \
    "$r"/lib/systemd/system/sockets.target.wants/*initctl* "$r"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
  ln -sf /usr/lib/systemd/systemd "$r/sbin/init"
  chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "$r" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  mkdir -p "$r/etc/kubernetes/manifests"
  # kind's services run containerd from /usr/local/bin, where kind puts its own build.
  ln -sf /usr/bin/containerd "$r/usr/local/bin/containerd"
  chroot "$r" sh -c "ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}' | jq 'del(.process.rlimits)' >/etc/containerd/cri-base.json"
  # The node's programs.
  install -m 0755 "$bin/kubeadm" "$bin/kubelet" "$bin/kubectl" "$r/usr/bin/"
  install -m 0755 "$bin/crictl" "$bin/kube-proxy" "$bin/kube-router" "$r/usr/local/bin/"
  mkdir -p "$r/opt/cni/bin"
  for p in bridge host-local loopback portmap ptp; do install -m 0755 "$bin/cni/$p" "$r/opt/cni/bin/"; done
  echo "$KUBERNETES_VERSION" >"$r/kind/version"
  mkdir -p "$r/kind/manifests"
  sed "s#IMAGE#$kube_router_ref#" "$here/default-cni.yaml" >"$r/kind/manifests/default-cni.yaml"
  kind_const const_storage.go defaultStorageManifest >"$r/kind/manifests/default-storage.yaml"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r/usr/share/doc" "$r/usr/share/man"
}

# image REF FILE LAYER-DIR [imagebuild flags...]
image() {
  local ref=$1 file=$2 dir=$3; shift 3
  tar --numeric-owner -C "$dir" -cf "$work/layer.tar" .
  (cd "$root" && go run ./hack/images/wrap -layer "$work/layer.tar" -ref "$ref" -out "$file" "$@")
  rm -f "$work/layer.tar"
}

# program_image REF FILE PROGRAM: one static program in /usr/local/bin.
program_image() {
  local d="$work/program"
  rm -rf "$d" && mkdir -p "$d/usr/local/bin"
  install -m 0755 "$3" "$d/usr/local/bin/"
  image "$1" "$2" "$d" -env PATH=/usr/local/bin -entrypoint "/usr/local/bin/$(basename "$3")"
}

kube_router_ref="kubectl-stack/kube-router:$KUBE_ROUTER_VERSION"
rootfs="$work/rootfs"
build_rootfs "$rootfs"
mkdir -p "$work/images"

# kubeadm's images, by the names kubeadm asks for. Their programs are those
# hack/ builds (etcd and CoreDNS at hack/versions.env's versions).
while read -r kref; do
  name=${kref##*/}
  name=${name%%:*}
  file="$work/images/$name.tar"
  case $name in
    kube-apiserver | kube-controller-manager | kube-scheduler | etcd) program_image "$kref" "$file" "$bin/$name" ;;
    coredns) program_image "$kref" "$file" "$bin/coredns" ;;
    # kube-proxy needs iptables and conntrack: the node's own root filesystem.
    kube-proxy) image "$kref" "$file" "$rootfs" -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -entrypoint /usr/local/bin/kube-proxy ;;
    pause) ;; # the sandbox image below
    *) log "kubeadm lists an image this script does not build: $kref"; exit 1 ;;
  esac
done < <("$bin/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION")

sandbox=$(awk -F'"' '/sandbox_image/ {print $2}' "$files/etc/containerd/config.toml")
mkdir -p "$work/pause"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/pause/pause" ./hack/images/pause)
image "$sandbox" "$work/images/pause.tar" "$work/pause" -entrypoint /pause -user 65535
image "$kube_router_ref" "$work/images/kube-router.tar" "$rootfs" \
  -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -entrypoint /usr/local/bin/kube-router
program_image "$(kind_const const_storage.go storageProvisionerImage)" "$work/images/local-path-provisioner.tar" "$bin/local-path-provisioner"

log "importing the root filesystem into Docker"
tar --numeric-owner -C "$rootfs" -c . | docker import - "$ref-base" >/dev/null
rm -rf "$rootfs"
container=$(docker run -d --entrypoint=sleep --security-opt seccomp=unconfined "$ref-base" infinity)
docker exec "$container" bash -c 'nohup containerd >/dev/null 2>&1 &'
for _ in $(seq 1 100); do
  docker exec "$container" ctr version >/dev/null 2>&1 && break
  sleep 0.1
done
import() { docker exec -i "$container" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests - <"$1" >/dev/null; }
for f in "$work"/images/*.tar; do
  log "importing $(basename "$f" .tar)"
  import "$f"
done
# kind's storage helper runs sh, mkdir, rm: the busybox image of hack/images.
import "$images/busybox.tar"
docker exec "$container" ctr --namespace=k8s.io images tag --force docker.io/library/busybox:1.36 "$(kind_const const_storage.go storageHelperImage)" >/dev/null
docker exec "$container" ctr --namespace=k8s.io images list -q >&2
docker exec "$container" pkill containerd
docker commit \
  --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
  --change 'ENV container=docker' \
  "$container" "$ref" >/dev/null
docker rm -f "$container" >/dev/null
container=""
docker rmi "$ref-base" >/dev/null
mkdir -p "$(dirname "$archive")"
docker save -o "$archive.tmp" "$ref"
mv "$archive.tmp" "$archive"
log "built $ref (saved in $archive)"
echo "$ref"
