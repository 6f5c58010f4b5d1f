package kube

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func node(name string, addrs ...corev1.NodeAddress) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: addrs}}
}

// Only InternalIPs, sorted: hostnames and external addresses are not where
// this cluster's NodePorts are reached.
func TestNodeInternalIPsKeepsInternalIPsSorted(t *testing.T) {
	c := fake.NewSimpleClientset(
		node("b", corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.9"}, corev1.NodeAddress{Type: corev1.NodeHostName, Address: "b"}),
		node("a", corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.1"}, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.2"}),
	)
	got, err := NodeInternalIPs(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.2", "10.0.0.9"}; !slices.Equal(got, want) {
		t.Errorf("NodeInternalIPs = %v, want %v", got, want)
	}
}
