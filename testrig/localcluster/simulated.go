package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
)

// simulatedCapacity is what each simulated node offers.
var simulatedCapacity = corev1.ResourceList{
	corev1.ResourceCPU:              resource.MustParse("32"),
	corev1.ResourceMemory:           resource.MustParse("128Gi"),
	corev1.ResourceEphemeralStorage: resource.MustParse("500Gi"),
	corev1.ResourcePods:             resource.MustParse("110"),
}

// kwokAnnotation marks the nodes kwok simulates.
const kwokAnnotation = "kwok.x-k8s.io/node"

// AddSimulatedNodes adds n kwok-simulated nodes (sim-node-1 ... sim-node-N)
// to the running cluster in dir, for scheduling and scale tests: their pods
// are scheduled and reported Running, and no container runs. Their pod
// addresses are blackholed on this machine, so nothing the API server dials
// for them leaves it. Nodes that exist already are kept. It returns the
// nodes' names once they are Ready.
func AddSimulatedNodes(ctx context.Context, dir string, n int) ([]string, error) {
	binDir, err := controlplane.BinDir("kwok", "kwok-stages.yaml")
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	if err := node.BlackholeSimulated(); err != nil {
		return nil, err
	}
	if !slices.Contains(Running(dir), "kwok") {
		if err := startKwok(dir, binDir, kubeconfig); err != nil {
			return nil, err
		}
	}
	var names []string
	for i := 1; i <= n; i++ {
		name := "sim-node-" + strconv.Itoa(i)
		names = append(names, name)
		obj := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{kwokAnnotation: "fake"},
				Labels:      map[string]string{corev1.LabelHostname: name, corev1.LabelOSStable: "linux", "type": "kwok"},
			},
			// kwok keeps a node's own capacity; its default has no
			// ephemeral-storage, which every stack pod requests.
			Status: corev1.NodeStatus{Capacity: simulatedCapacity, Allocatable: simulatedCapacity},
		}
		_, err := client.CoreV1().Nodes().Create(ctx, obj, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating simulated node %s: %w", name, err)
		}
	}
	return names, waitNodesReady(ctx, client, names)
}

func startKwok(dir, binDir, kubeconfig string) error {
	procs := controlplane.NewProcesses(dir, true)
	err := procs.Run(filepath.Join(binDir, "kwok"),
		"--kubeconfig", kubeconfig, "--config", filepath.Join(binDir, "kwok-stages.yaml"),
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector", kwokAnnotation+"=fake",
		"--cidr", node.SimulatedCIDR, "--node-ip", node.SimulatedNodeIP,
		"--node-lease-duration-seconds", "40", "--server-address", "127.0.0.1:10247")
	if err != nil {
		return err
	}
	return appendPIDs(dir, procs.PIDs())
}

func waitNodesReady(ctx context.Context, client kubernetes.Interface, names []string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		readyCount := 0
		for _, name := range names {
			if n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err == nil && node.Ready(n) {
				readyCount++
			}
		}
		if readyCount == len(names) {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("simulated nodes %v not Ready after 1m (is kwok running? see kwok.log)", names)
}

func appendPIDs(dir string, pids []int) error {
	f, err := os.OpenFile(filepath.Join(dir, "pids"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, pid := range pids {
		if _, err := fmt.Fprintln(f, pid); err != nil {
			return err
		}
	}
	return nil
}
