#!/usr/bin/env bash
# Builds the binaries the tests need (etcd, kube-apiserver, kubectl) from the Go module
# proxy (no downloads of prebuilt binaries) into a versioned cache folder, so a
# warm run rebuilds nothing. Prints the folder on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${KUBECTL_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-stack}
bin="$cache/bin/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$bin"

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$KUBERNETES_MINOR"

build() { # name package
  local name=$1 pkg=$2
  [ -x "$bin/$name" ] && return 0
  echo "building $name from the Go module proxy (cold: a few minutes)" >&2
  (cd "$here/tools" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
}

build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kubectl k8s.io/kubernetes/cmd/kubectl
echo "$bin"
