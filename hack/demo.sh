#!/usr/bin/env bash
# The README's main job: bring up a cluster, apply overlays/dev with the
# plugin, and show the stack. `hack/demo.sh down` stops what it started.
#
# Cluster: hack/'s local control plane (etcd + kube-apiserver built from the
# Go module proxy, loopback only). It has no node yet, so the objects are
# stored and validated but no pod runs; the local node and the kind path for
# Docker users arrive with the local-cluster work (issue 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "${1:-}" = down ]; then
  go run ./hack/localcluster down
  exit 0
fi

export KUBECTL_STACK_BIN_DIR
KUBECTL_STACK_BIN_DIR=$(hack/build-binaries.sh)
export PATH="$root/bin:$KUBECTL_STACK_BIN_DIR:$PATH"
make --no-print-directory build

kubeconfig=$(go run ./hack/localcluster up)
echo "cluster: local control plane, kubeconfig $kubeconfig"
export KUBECONFIG=$kubeconfig

# No node runs pods here yet, so readiness cannot be waited for.
kubectl stack apply -k overlays/dev --wait=false
echo
kubectl get all,pvc,pv,networkpolicies -n k8s-assignment
echo
echo "The stack is applied. Try: KUBECONFIG=$kubeconfig kubectl stack diff -k overlays/prod"
echo "Stop the cluster with: make demo-down"
