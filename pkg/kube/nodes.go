package kube

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// NodeInternalIPs are the nodes' InternalIP addresses, sorted: where a
// NodePort is reached. The API error comes back as it is, for the caller to
// judge (a namespaced user may not list nodes).
func NodeInternalIPs(ctx context.Context, c kubernetes.Interface) ([]string, error) {
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				out = append(out, a.Address)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
