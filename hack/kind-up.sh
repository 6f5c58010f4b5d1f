#!/usr/bin/env bash
# For Docker users: create the kind cluster of hack/kind-config.yaml, load the
# watcher image built from this checkout, and apply overlays/dev.
#   hack/kind-up.sh          dev: one node
#   hack/kind-up.sh prod     prod: three nodes (create the prod Secret first: README)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
variant=${1:-dev}
config=hack/kind-config.yaml
[ "$variant" = prod ] && config=hack/kind-config-prod.yaml
name=$(awk '/^name:/ {print $2}' "$config")

command -v kind >/dev/null || { echo "kind is not installed: go install sigs.k8s.io/kind@v0.33.0" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "Docker is not running; hack/cluster-up.sh builds a local node without it" >&2; exit 1; }

if ! kind get clusters | grep -qx "$name"; then
  kind create cluster --config "$config"
fi
# The database runs as uid 999; kubelet never chowns a hostPath volume.
for n in $(kind get nodes --name "$name"); do
  docker exec "$n" sh -c 'mkdir -p /var/lib/kubectl-stack/mysql && chown 999:999 /var/lib/kubectl-stack/mysql'
done

tag=dev
[ "$variant" = prod ] && tag=v0.1.0
docker build -t "kubectl-stack/watcher:$tag" -f watcher/Dockerfile .
kind load docker-image "kubectl-stack/watcher:$tag" --name "$name"

make --no-print-directory build
bin/kubectl-stack --context "kind-$name" apply -k "overlays/$variant"
echo "web tier: http://127.0.0.1:30080/"
