// Command status benchmarks `kubectl stack status` against `kubectl get pods
// -o wide` on one namespace holding a web tier of PODS pods on kwok-simulated
// nodes, measured alternately in the same run. The simulated pods' addresses
// are blackholed, so every live serving-host read fails, as the issue asks:
// the cost of the reads is part of the figure. Run it through
// hack/bench/status.sh, which brings the cluster up and down.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
)

const namespace = "bench-status"

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl to compare with (default: $KUBECTL, else kubectl)")
	pods := flag.Int("pods", 1000, "web pods in the namespace")
	runs := flag.Int("runs", 7, "runs of each command")
	flag.Parse()
	if err := run(*kubeconfig, *kubectl, *pods, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubectl string, pods, runs int) error {
	ctx := context.Background()
	c, err := kit.Client(kubeconfig)
	if err != nil {
		return err
	}
	nodes, err := localcluster.AddSimulatedNodes(ctx, filepath.Dir(kubeconfig), pods/100+1)
	if err != nil {
		return err
	}
	if err := seed(ctx, c, nodes, pods); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-status-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin, err := kit.BuildPlugin(".", dir)
	if err != nil {
		return err
	}
	status := []string{plugin, "--kubeconfig", kubeconfig, "-n", namespace, "status", "-o", "wide"}
	anchor := []string{kubectl, "--kubeconfig", kubeconfig, "-n", namespace, "get", "pods", "-o", "wide"}
	// One run of each first, unmeasured: the API server's caches warm up.
	if _, _, err := kit.Compare(1, status, anchor, 1); err != nil {
		return err
	}
	mine, theirs, err := kit.Compare(runs, status, anchor, 1)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("status benchmark: %d web pods on %d simulated nodes, serving-host unreachable; %d runs each; %s\n", pods, len(nodes), runs, host)
	return kit.Record(kit.TimedRow(fmt.Sprintf("status -o wide, %d pods (kwok)", pods), mine, theirs, "kubectl get pods -o wide", "<= 1.5x"))
}

// seed creates the namespace, a paused web Deployment (so status finds the
// tier and wants all its pods), and the pods themselves on the simulated
// nodes, then waits until kwok reports every one running with an address.
func seed(ctx context.Context, c kubernetes.Interface, nodes []string, pods int) error {
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	podLabels := stack.Web.Selector()
	podLabels[stack.LabelComponent] = stack.Web.Component
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: stack.Web.Name, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(pods)), Paused: true,
			Selector: &metav1.LabelSelector{MatchLabels: stack.Web.Selector()},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: podLabels}, Spec: podSpec("")},
		},
	}
	if _, err := c.AppsV1().Deployments(namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return err
	}
	start := time.Now()
	err := kit.CreatePods(ctx, c, pods, func(i int) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-sim-%04d", i), Namespace: namespace, Labels: podLabels},
			Spec:       podSpec(nodes[i%len(nodes)]),
		}
	})
	if err != nil {
		return err
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := c.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		running := 0
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
				running++
			}
		}
		return running == pods, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d simulated pods to run: %w", pods, err)
	}
	fmt.Fprintf(os.Stderr, "%d simulated pods running after %s\n", pods, time.Since(start).Round(time.Second))
	return nil
}

func podSpec(node string) corev1.PodSpec {
	return corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27",
		Ports: []corev1.ContainerPort{{ContainerPort: int32(stack.WebContainerPort)}}}}}
}
