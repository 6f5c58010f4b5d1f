// Package node runs one real Kubernetes node on this machine for hack/'s
// local cluster: containerd and runc from Debian, kubelet, kube-proxy,
// kube-router for NetworkPolicies, CNI bridge networking and CoreDNS. It
// keeps pod traffic on the machine and removes everything it created, also
// after a failed run (Cleanup).
package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
)

// Network facts of the local node.
const (
	PodCIDR      = "10.244.0.0/24"
	ClusterCIDR  = "10.244.0.0/16"
	DNSServiceIP = "10.96.0.10"
	Bridge       = "kstack0"
	// SimulatedCIDR holds the pod addresses of kwok's simulated nodes, and
	// SimulatedNodeIP their node address; nothing answers there.
	SimulatedCIDR   = "10.245.0.0/16"
	SimulatedNodeIP = "10.245.255.254"
)

// Config says where the node's programs and state are.
type Config struct {
	Name string
	IP   string
	// BinDir holds hack/build-binaries.sh node's output; ImagesDir the image
	// tarballs of hack/images/build.sh.
	BinDir    string
	ImagesDir string
	// Dir holds all of the node's state; Cleanup removes it.
	Dir string
	// DataDir is the dev overlay's hostPath folder, created for the
	// database's user and never deleted.
	DataDir string
}

// Node is a running node.
type Node struct {
	cfg   Config
	cp    *controlplane.ControlPlane
	procs *controlplane.Processes
	// Client is an admin client of the cluster.
	Client kubernetes.Interface
}

// Start brings the node up and waits until it is Ready and CoreDNS answers.
func Start(ctx context.Context, cp *controlplane.ControlPlane, cfg Config) (*Node, error) {
	restCfg, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, cp: cp, procs: cp.Processes(), Client: kubernetes.NewForConfigOrDie(restCfg)}
	steps := []struct {
		what string
		fn   func(context.Context) error
	}{
		{"preparing the host", n.prepareHost},
		{"starting containerd", n.startContainerd},
		{"importing images", n.importImages},
		{"starting kubelet", n.startKubelet},
		{"waiting for the node", n.waitReady},
		{"starting kube-proxy", n.startKubeProxy},
		{"starting kube-router", n.startKubeRouter},
		{"deploying CoreDNS", n.deployCoreDNS},
		{"checking the node's programs", func(context.Context) error { return n.procs.Exited() }},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			// A program that died explains more than the step that noticed.
			if exited := n.procs.Exited(); exited != nil {
				err = exited
			}
			return n, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return n, nil
}

func (n *Node) path(elem ...string) string {
	return filepath.Join(append([]string{n.cfg.Dir}, elem...)...)
}

func (n *Node) prepareHost(context.Context) error {
	for _, d := range []string{"containerd", "kubelet", "cni/net.d", "pki"} {
		if err := os.MkdirAll(n.path(d), 0o700); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(n.cfg.DataDir, 0o700); err != nil {
		return err
	}
	// The database runs as stack.DatabaseUID and kubelet never applies fsGroup to
	// hostPath volumes.
	if err := os.Chown(n.cfg.DataDir, stack.DatabaseUID, stack.DatabaseUID); err != nil {
		return err
	}
	if err := setSysctls(n.cfg.Dir); err != nil {
		return err
	}
	return guardEgress()
}

func (n *Node) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		node, err := n.Client.CoreV1().Nodes().Get(ctx, n.cfg.Name, metav1.GetOptions{})
		if err == nil && Ready(node) {
			return n.labelNode(ctx)
		}
		if err := n.procs.Exited(); err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("node %s not Ready after 2m: %s", n.cfg.Name, n.procs.Log("kubelet", 1500))
}

// Ready tells whether the node's Ready condition is True.
func Ready(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// labelNode marks the node for the database, as the kind config does.
func (n *Node) labelNode(ctx context.Context) error {
	patch := []byte(`{"metadata":{"labels":{"kubectl-stack.io/database":"true"}}}`)
	_, err := n.Client.CoreV1().Nodes().Patch(ctx, n.cfg.Name, "application/merge-patch+json", patch, metav1.PatchOptions{})
	return err
}

// PrimaryIP returns this machine's own address: the first IPv4 address of
// the interface that holds the default route.
func PrimaryIP() (string, error) {
	data, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 2 || f[1] != "00000000" {
			continue
		}
		iface, err := net.InterfaceByName(f[0])
		if err != nil {
			return "", err
		}
		addrs, err := iface.Addrs()
		if err != nil {
			return "", err
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				return ipn.IP.String(), nil
			}
		}
	}
	return "", fmt.Errorf("no default route with an IPv4 address in /proc/net/route")
}
