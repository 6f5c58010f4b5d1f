#!/usr/bin/env bash
# Builds the binaries hack/ and the tests run, from the Go module proxy (no
# downloads of prebuilt binaries), into a versioned cache folder so a warm
# run rebuilds nothing. Prints the folder on stdout.
#
#   hack/build-binaries.sh          etcd, kube-apiserver, kubectl (API-server tests),
#                                   the image registry (image tests)
#   hack/build-binaries.sh bench    also crane, what the images benchmark compares with
#   hack/build-binaries.sh node     also what a local node needs, and the S3
#                                   server the backup tests use
#   hack/build-binaries.sh kind     also kind and what its node image holds
#                                   beyond a local node's (hack/kind/)
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
here=$root/hack

# The folder's name changes with any pinned version, so a bump rebuilds.
bin="$cache/bin/$KUBERNETES_VERSION-$(sha256sum "$here/versions.env" | cut -c1-12)"
mkdir -p "$bin"

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$KUBERNETES_MINOR"

# build NAME=PACKAGE...: commands of hack/tools/go.mod (Kubernetes, etcd),
# the missing ones in one go build: their packages compile once, in
# parallel, and the links run side by side.
build() {
  local pair names=() pkgs=() out
  for pair in "$@"; do
    [ -x "$bin/${pair%%=*}" ] && continue
    names+=("${pair%%=*}")
    pkgs+=("${pair#*=}")
  done
  [ ${#pkgs[@]} -gt 0 ] || return 0
  echo "building ${names[*]} from the Go module proxy" >&2
  local start=$SECONDS
  out=$(mktemp -d)
  (cd "$here/tools" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/" "${pkgs[@]}")
  local i exe
  for i in "${!names[@]}"; do
    exe=$(basename "${pkgs[$i]}")
    # go build names a command whose path ends in a major version (etcd's
    # server/v3) after the element before it.
    [[ $exe =~ ^v[0-9]+$ ]] && exe=$(basename "$(dirname "${pkgs[$i]}")")
    mv "$out/$exe" "$bin/${names[$i]}"
  done
  rmdir "$out"
  log "built ${names[*]} in $((SECONDS - start)) s"
}

# install NAME PACKAGE@VERSION: a command built by its own module's go.mod.
install() {
  local name=$1 pkg=$2
  [ -x "$bin/$name" ] && return 0
  echo "building $name from the Go module proxy" >&2
  local tmp start=$SECONDS
  tmp=$(mktemp -d)
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags=-s "$pkg"
  mkdir -p "$(dirname "$bin/$name")"
  mv "$tmp/$(basename "${pkg%@*}")" "$bin/$name"
  rmdir "$tmp"
  log "built $name in $((SECONDS - start)) s"
}

set_=${1:-}
k8s=k8s.io/kubernetes/cmd
# Every Kubernetes command the set needs, in the one go build.
commands=(etcd=go.etcd.io/etcd/server/v3 kube-apiserver="$k8s/kube-apiserver" kubectl="$k8s/kubectl")
if [ "$set_" = node ] || [ "$set_" = kind ]; then
  commands+=(kube-controller-manager="$k8s/kube-controller-manager" kube-scheduler="$k8s/kube-scheduler"
    kubelet="$k8s/kubelet" kube-proxy="$k8s/kube-proxy")
fi
[ "$set_" = kind ] && commands+=(kubeadm="$k8s/kubeadm")

# The others, each its own module, one after another.
installs() {
  install registry "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION"
  if [ "$set_" = bench ]; then
    install crane "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
  fi
  if [ "$set_" = node ] || [ "$set_" = kind ]; then
    local cni=github.com/containernetworking/plugins/plugins p
    for p in main/bridge ipam/host-local main/loopback meta/portmap; do
      install "cni/$(basename $p)" "$cni/$p@$CNI_PLUGINS_VERSION"
    done
    install coredns "github.com/coredns/coredns@$COREDNS_VERSION"
    install kube-router "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
    install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
    install versitygw "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  fi
  if [ "$set_" = kind ]; then
    install kind "sigs.k8s.io/kind@$KIND_VERSION"
    install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
    install cni/ptp "$cni/main/ptp@$CNI_PLUGINS_VERSION"
    install local-path-provisioner "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"
  fi
}
# Beside the Kubernetes build: each spends part of its time downloading
# modules, which the other's compiling hides.
installs &
others=$!
build "${commands[@]}"
wait "$others"

# kwok simulates nothing without Stage objects; these are the ones kwok's
# own cluster tool uses by default, from the same module version.
if { [ "$set_" = node ] || [ "$set_" = kind ]; } && [ ! -s "$bin/kwok-stages.yaml" ]; then
  kwok_dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | awk -F'"' '/"Dir"/ {print $4}')
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cat "$kwok_dir/kustomize/stage/$f"
    echo "---"
  done >"$bin/kwok-stages.yaml.tmp"
  mv "$bin/kwok-stages.yaml.tmp" "$bin/kwok-stages.yaml"
fi
echo "$bin"
