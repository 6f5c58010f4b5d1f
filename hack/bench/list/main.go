// Command list benchmarks `kubectl stack list` against `kubectl get
// secrets -A` of the same revision Secrets, on a cluster holding STACKS
// stacks: in each namespace the ApplySet parent, a full history of
// revision Secrets (each holding its objects, as a real one does), and the
// web and database workloads with their pods on kwok-simulated
// nodes. Both commands are measured alternately in the same run. Run it
// through hack/bench/list.sh, which brings the cluster up and down.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
)

// revisionBytes is about what a dev revision Secret holds: the overlay's
// objects, compressed.
const revisionBytes = 24 << 10

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl to compare with (default: $KUBECTL, else kubectl)")
	stacks := flag.Int("stacks", 50, "stacks in the cluster")
	runs := flag.Int("runs", 7, "runs of each command")
	flag.Parse()
	if err := run(*kubeconfig, *kubectl, *stacks, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubectl string, stacks, runs int) error {
	ctx := context.Background()
	c, err := kit.Client(kubeconfig)
	if err != nil {
		return err
	}
	nodes, err := localcluster.AddSimulatedNodes(ctx, filepath.Dir(kubeconfig), stacks/20+1)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := range stacks {
		if err := seed(ctx, c, fmt.Sprintf("bench-stack-%02d", i)); err != nil {
			return err
		}
	}
	if err := waitReady(ctx, c, stacks); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d stacks seeded on %d simulated nodes in %s\n", stacks, len(nodes), time.Since(start).Round(time.Second))
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-list-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin, err := kit.BuildPlugin(".", dir)
	if err != nil {
		return err
	}
	list := []string{plugin, "--kubeconfig", kubeconfig, "list"}
	sel := labels.SelectorFromSet(labels.Set{history.OwnerLabel: stack.Instance}).String()
	anchor := []string{kubectl, "--kubeconfig", kubeconfig, "get", "secrets", "-A", "-l", sel}
	if err := listsAll(list, stacks); err != nil {
		return err
	}
	// One run of each first, unmeasured: the API server's caches warm up.
	if _, _, err := kit.Compare(1, list, anchor); err != nil {
		return err
	}
	mine, theirs, err := kit.Compare(runs, list, anchor)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("list benchmark: %d stacks, %d revisions of %d KiB each; %d runs each; %s\n", stacks, history.DefaultMax, revisionBytes>>10, runs, host)
	return kit.Record(kit.TimedRow(fmt.Sprintf("list, %d stacks (kwok)", stacks), mine, theirs, "kubectl get secrets -A (the revisions)", "<= 1.5x"))
}

// listsAll checks the plugin lists every stack healthy before it is timed.
func listsAll(list []string, stacks int) error {
	out, err := exec.Command(list[0], list[1:]...).Output()
	if err != nil {
		return fmt.Errorf("list: %v", err)
	}
	if n := bytes.Count(out, []byte(" healthy ")); n != stacks {
		return fmt.Errorf("list shows %d healthy stacks, want %d:\n%s", n, stacks, out)
	}
	return nil
}

// seed makes one stack's namespace as an apply leaves it.
func seed(ctx context.Context, c kubernetes.Interface, ns string) error {
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	parent := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: stack.ApplySetParent, Namespace: ns,
		Annotations: map[string]string{apply.ApplySetToolingAnnot: apply.ToolingName + "/bench"}}}
	if _, err := c.CoreV1().Secrets(ns).Create(ctx, parent, metav1.CreateOptions{}); err != nil {
		return err
	}
	for n := 1; n <= history.DefaultMax; n++ {
		rev := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: history.SecretName(n), Namespace: ns,
				Labels:      map[string]string{history.OwnerLabel: stack.Instance, history.RevisionLabel: strconv.Itoa(n), history.StatusLabel: "applied"},
				Annotations: map[string]string{history.SourceAnnotation: "overlays/dev (built in)"}},
			Data: map[string][]byte{"objects": bytes.Repeat([]byte{byte(n)}, revisionBytes)},
		}
		if _, err := c.CoreV1().Secrets(ns).Create(ctx, rev, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	web := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: stack.Web.Name, Namespace: ns, Labels: partOf()},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(stack.WebReplicas)), Selector: &metav1.LabelSelector{MatchLabels: stack.Web.Selector()},
			Template: podTemplate(stack.Web)}}
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, web, metav1.CreateOptions{}); err != nil {
		return err
	}
	db := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: stack.Database.Name, Namespace: ns, Labels: partOf()},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: stack.Database.Selector()},
			Template: podTemplate(stack.Database)}}
	if _, err := c.AppsV1().StatefulSets(ns).Create(ctx, db, metav1.CreateOptions{}); err != nil {
		return err
	}
	return nil
}

func partOf() map[string]string { return map[string]string{stack.LabelPartOf: stack.Instance} }

// podTemplate runs on the simulated nodes only.
func podTemplate(c stack.Component) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: c.Selector()}, Spec: corev1.PodSpec{
		NodeSelector: map[string]string{"type": "kwok"},
		Containers:   []corev1.Container{{Name: c.Name, Image: "nginx:1.27"}},
	}}
}

// waitReady waits until every workload of every stack has its pods ready.
func waitReady(ctx context.Context, c kubernetes.Interface, stacks int) error {
	opts := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(partOf()).String()}
	return wait.PollUntilContextTimeout(ctx, 2*time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		ds, err := c.AppsV1().Deployments("").List(ctx, opts)
		if err != nil {
			return false, err
		}
		ss, err := c.AppsV1().StatefulSets("").List(ctx, opts)
		if err != nil {
			return false, err
		}
		ready := 0
		for _, d := range ds.Items {
			if d.Status.ReadyReplicas == *d.Spec.Replicas {
				ready++
			}
		}
		for _, s := range ss.Items {
			if s.Status.ReadyReplicas == *s.Spec.Replicas {
				ready++
			}
		}
		return ready == 2*stacks, nil
	})
}
