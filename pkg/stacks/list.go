// Package stacks finds every stack in a cluster and sums each up in one
// row, as `helm list -A` does for releases. It reads metadata and workload
// status only, a handful of lists whatever the number of stacks, and never
// a Secret's data. It knows nothing of cobra.
package stacks

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Health sums a stack up.
type Health string

// A stack is failed when its newest apply failed, degraded when a
// workload has fewer ready pods than it wants, else healthy. `kubectl
// stack status -n NAMESPACE` checks much more.
const (
	Healthy  Health = "healthy"
	Degraded Health = "degraded"
	Failed   Health = "failed"
)

// Stack is one stack: a namespace with the stack's ApplySet parent.
type Stack struct {
	Namespace string `json:"namespace"`
	// Source is the newest revision's overlay; empty when unrecorded.
	Source   string `json:"source,omitempty"`
	Revision int    `json:"revision,omitempty"`
	Health   Health `json:"status"`
	// NotReady names the workloads with fewer ready pods than they want.
	NotReady []string `json:"notReady,omitempty"`
	// Database is the database server's image.
	Database string `json:"database,omitempty"`
	// LastBackup is the scheduled backup's last success, where it runs.
	LastBackup *time.Time `json:"lastBackup,omitempty"`
	Created    time.Time  `json:"created"`
}

// List returns every stack of the cluster (of namespace only, when set),
// by namespace.
func List(ctx context.Context, c *kube.Clients, namespace string) ([]*Stack, error) {
	found, err := parents(ctx, c, namespace)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, nil
	}
	for _, add := range []func(context.Context, *kube.Clients, string, map[string]*Stack) error{addRevisions, addWorkloads, addBackups} {
		if err := add(ctx, c, namespace, found); err != nil {
			return nil, err
		}
	}
	out := make([]*Stack, 0, len(found))
	for _, s := range found {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out, nil
}

// parents finds the stacks by their ApplySet parents, metadata only.
func parents(ctx context.Context, c *kube.Clients, namespace string) (map[string]*Stack, error) {
	list, err := c.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace(namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", stack.ApplySetParent).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("listing the stacks' ApplySet parents: %w", kube.Explain(err))
	}
	found := map[string]*Stack{}
	for _, p := range list.Items {
		if !strings.HasPrefix(p.Annotations[apply.ApplySetToolingAnnot], apply.ToolingName+"/") {
			continue
		}
		found[p.Namespace] = &Stack{Namespace: p.Namespace, Health: Healthy, Created: p.CreationTimestamp.Time}
	}
	return found, nil
}

// addRevisions sets each stack's newest revision, its overlay and whether
// it failed, from the revision Secrets' labels and annotations.
func addRevisions(ctx context.Context, c *kube.Clients, namespace string, found map[string]*Stack) error {
	sel := labels.SelectorFromSet(labels.Set{history.OwnerLabel: stack.Instance}).String()
	list, err := c.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("listing the stacks' revisions: %w", kube.Explain(err))
	}
	for _, r := range list.Items {
		s := found[r.Namespace]
		n, err := strconv.Atoi(r.Labels[history.RevisionLabel])
		if s == nil || err != nil || n < s.Revision {
			continue
		}
		s.Revision, s.Source = n, r.Annotations[history.SourceAnnotation]
		if r.Labels[history.StatusLabel] == string(history.Failed) {
			s.Health = Failed
		} else if s.Health == Failed {
			s.Health = Healthy
		}
	}
	return nil
}

// addWorkloads marks stacks with a workload short of ready pods degraded,
// and reads the database's image.
func addWorkloads(ctx context.Context, c *kube.Clients, namespace string, found map[string]*Stack) error {
	opts := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{stack.LabelPartOf: stack.Instance}).String()}
	apps := c.Typed.AppsV1()
	deployments, err := apps.Deployments(namespace).List(ctx, opts)
	if err != nil {
		return fmt.Errorf("listing the stacks' Deployments: %w", kube.Explain(err))
	}
	for _, d := range deployments.Items {
		degrade(found[d.Namespace], "Deployment/"+d.Name, d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 1))
	}
	statefulSets, err := apps.StatefulSets(namespace).List(ctx, opts)
	if err != nil {
		return fmt.Errorf("listing the stacks' StatefulSets: %w", kube.Explain(err))
	}
	for _, ss := range statefulSets.Items {
		degrade(found[ss.Namespace], "StatefulSet/"+ss.Name, ss.Status.ReadyReplicas, ptr.Deref(ss.Spec.Replicas, 1))
		if s := found[ss.Namespace]; s != nil && ss.Name == stack.Database.Name {
			s.Database = databaseImage(&ss)
		}
	}
	daemonSets, err := apps.DaemonSets(namespace).List(ctx, opts)
	if err != nil {
		return fmt.Errorf("listing the stacks' DaemonSets: %w", kube.Explain(err))
	}
	for _, ds := range daemonSets.Items {
		degrade(found[ds.Namespace], "DaemonSet/"+ds.Name, ds.Status.NumberReady, ds.Status.DesiredNumberScheduled)
	}
	return nil
}

func degrade(s *Stack, workload string, ready, want int32) {
	if s == nil || ready >= want {
		return
	}
	s.NotReady = append(s.NotReady, fmt.Sprintf("%s %d/%d", workload, ready, want))
	if s.Health == Healthy {
		s.Health = Degraded
	}
}

// databaseImage is the database container's image.
func databaseImage(ss *appsv1.StatefulSet) string {
	for _, c := range ss.Spec.Template.Spec.Containers {
		if c.Name == stack.MySQLContainer {
			return c.Image
		}
	}
	return ""
}

// addBackups sets the time of each stack's last scheduled backup that
// succeeded, where the scheduled-backup component runs.
func addBackups(ctx context.Context, c *kube.Clients, namespace string, found map[string]*Stack) error {
	opts := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{stack.LabelPartOf: stack.Instance}).String()}
	list, err := c.Typed.BatchV1().CronJobs(namespace).List(ctx, opts)
	if err != nil {
		return fmt.Errorf("listing the stacks' CronJobs: %w", kube.Explain(err))
	}
	for i := range list.Items {
		cj := &list.Items[i]
		if s := found[cj.Namespace]; s != nil {
			s.LastBackup = later(s.LastBackup, lastSuccess(cj))
		}
	}
	return nil
}

func lastSuccess(cj *batchv1.CronJob) *time.Time {
	if cj.Status.LastSuccessfulTime == nil {
		return nil
	}
	t := cj.Status.LastSuccessfulTime.Time
	return &t
}

func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}

// Namespaces are the namespaces that hold a stack, sorted: one list of
// metadata.
func Namespaces(ctx context.Context, c *kube.Clients) ([]string, error) {
	found, err := parents(ctx, c, "")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(found))
	for ns := range found {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out, nil
}
