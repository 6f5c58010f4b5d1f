//go:build tools

// Package tools pins the Kubernetes and etcd commands that hack/ builds from
// the Go module proxy for the local test cluster; nothing imports it.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
