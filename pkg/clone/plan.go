// Package clone makes a new stack from a backup: applied into a namespace
// of its own from an overlay, its database loaded from the backup (and
// rolled forward from the archived binary logs to a point in time) before
// its web tier starts. The stack the backup came from is never touched:
// its location is only read. It knows nothing of cobra.
package clone

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Request is what the user asked for.
type Request struct {
	Namespace string
	From      location.Location
	// ID is a backup's ID or "latest"; a point in time picks its own.
	ID        string
	Target    *binlog.Target
	AcceptGap bool
	// Overlay is the -k value; empty takes the backup's.
	Overlay string
}

// Plan is what a clone will do, found without changing anything.
type Plan struct {
	Namespace string `json:"namespace"`
	Location  string `json:"location"`
	Backup    string `json:"backup"`
	// BackupFinished is when the backup's dump ended.
	BackupFinished time.Time `json:"backupFinished"`
	// ToTime is the point in time the binary logs roll the copy to.
	ToTime *time.Time `json:"toTime,omitempty"`
	// Overlay is what the clone is applied from.
	Overlay string `json:"overlay"`
	// Source is the namespace the backup's stack ran in.
	Source    string   `json:"sourceNamespace"`
	Databases []string `json:"databases"`
}

// NewPlan reads the location's catalog (and for a point in time its
// archive), picks the backup and the overlay, and checks that the
// namespace holds nothing yet.
func NewPlan(ctx context.Context, c *kube.Clients, r Request) (*Plan, error) {
	entry, err := pick(ctx, r)
	if err != nil {
		return nil, err
	}
	m := entry.Manifest
	p := &Plan{Namespace: r.Namespace, Location: r.From.String(), Backup: entry.ID, BackupFinished: m.Finished,
		Overlay: r.Overlay, Source: m.Namespace, Databases: m.DatabaseNames()}
	if r.Target != nil {
		p.ToTime = &r.Target.Time
	}
	if p.Overlay == "" {
		if p.Overlay = builtIn(m.Overlay); p.Overlay == "" {
			return nil, fmt.Errorf("backup %s does not record the overlay its stack was applied from: pass -k OVERLAY", entry.ID)
		}
	}
	if m.Namespace == r.Namespace {
		return nil, fmt.Errorf("backup %s is of the stack in namespace %s: a clone goes into a namespace of its own, pass another -n", entry.ID, r.Namespace)
	}
	return p, checkEmpty(ctx, c, r.Namespace)
}

// pick finds the backup: by ID, the newest, or the newest a point-in-time
// restore starts from, which must reach the time asked.
func pick(ctx context.Context, r Request) (*backup.Entry, error) {
	cat, err := backup.List(ctx, r.From)
	if err != nil {
		return nil, err
	}
	if r.Target == nil {
		return cat.Find(r.ID)
	}
	arc, err := binlog.Read(ctx, r.From)
	if err != nil {
		return nil, err
	}
	plan, err := binlog.PlanRestore(arc, cat, *r.Target, r.AcceptGap)
	if err != nil {
		return nil, err
	}
	if plan.Beyond {
		windows := make([]string, len(plan.Windows))
		for i, w := range plan.Windows {
			windows[i] = w.String()
		}
		return nil, fmt.Errorf("--to-time %s is later than the newest archived transaction: the archive reaches %s; pick a time inside it",
			r.Target, strings.Join(windows, ", "))
	}
	return plan.Backup, nil
}

// builtIn is the overlay a backup's manifest recorded as -k takes it:
// build names a built-in overlay "overlays/dev (built in)".
func builtIn(recorded string) string {
	return strings.TrimSuffix(recorded, " (built in)")
}

// checkEmpty refuses a namespace that holds a stack, or any workload,
// Service or claim. Secrets and ConfigMaps may be there: prod's database
// credentials are created before its first apply.
func checkEmpty(ctx context.Context, c *kube.Clients, ns string) error {
	_, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", ns, kube.Explain(err))
	}
	_, err = c.Typed.CoreV1().Secrets(ns).Get(ctx, stack.ApplySetParent, metav1.GetOptions{})
	if err == nil {
		return fmt.Errorf("namespace %s holds a stack already: clone into a new namespace (kubectl stack list shows the stacks)", ns)
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading namespace %s: %w", ns, kube.Explain(err))
	}
	for _, kind := range []string{"pods", "services", "persistentvolumeclaims"} {
		list, err := c.Metadata.Resource(corev1.SchemeGroupVersion.WithResource(kind)).Namespace(ns).List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return fmt.Errorf("reading namespace %s: %w", ns, kube.Explain(err))
		}
		if len(list.Items) > 0 {
			return fmt.Errorf("namespace %s is not empty (%s %s): clone into a new or empty namespace", ns, kind, list.Items[0].Name)
		}
	}
	return nil
}
