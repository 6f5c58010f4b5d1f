package clone

import (
	"context"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Options shape a clone's run.
type Options struct {
	Request Request
	Plan    *Plan
	// Set is the overlay's objects in the clone's namespace (Prepare).
	Set *apply.Set
	// Source names the overlay in the clone's revisions.
	Source history.Source
	// History are the applies' options (wait, timeout, history size).
	History history.Options
	// Dir is the local folder the backup and binary logs are downloaded to.
	Dir             string
	RollbackContext func() (context.Context, context.CancelFunc)
	Progress        io.Writer
}

// Result is a clone that succeeded.
type Result struct {
	*Plan
	Applied  *apply.Summary        `json:"applied"`
	Restored *backup.RestoreResult `json:"restored"`
	Replayed *binlog.Replayed      `json:"replayed,omitempty"`
	// NodePort is the web Service's, the API server's pick or the asked.
	NodePort int32 `json:"nodePort"`
}

// IncompleteError is a clone that failed after it began to apply: what it
// made stays in its namespace for a look, and one delete removes it. The
// source stack was never touched.
type IncompleteError struct {
	Namespace string
	Err       error
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%v; the clone in namespace %s is incomplete (the source stack is untouched): "+
		"kubectl stack delete -n %[2]s --purge-data removes it", e.Err, e.Namespace)
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// Run downloads and checks the backup (and the binary logs) first, so a
// damaged one is refused before anything is made; then applies the
// overlay with the web tier stopped, loads the database, and starts the
// web tier.
func Run(ctx context.Context, c *kube.Clients, o Options) (*Result, error) {
	ready, err := download(ctx, o)
	if err != nil {
		return nil, err
	}
	defer ready.discard()
	res := &Result{Plan: o.Plan, Replayed: ready.replayed}
	fmt.Fprintf(o.Progress, "clone: applying %s into namespace %s, the web tier stopped until the database is loaded\n", o.Source.Name, o.Plan.Namespace)
	first := o.Source
	first.Description = "clone: database first, web stopped"
	if sum, _, err := history.Apply(ctx, c, webStopped(o.Set), first, o.History); err != nil {
		if len(sum.Results) == 0 {
			return nil, kube.Explain(err)
		}
		return nil, &IncompleteError{Namespace: o.Plan.Namespace, Err: kube.Explain(err)}
	}
	res.Restored, err = backup.Restore(ctx, c, backup.Verified(ready.dump), backup.RestoreOptions{
		Namespace: o.Plan.Namespace, SafetyDir: o.Dir, RollbackContext: o.RollbackContext, Progress: o.Progress, Replay: ready.replay,
	})
	if err != nil {
		return nil, &IncompleteError{Namespace: o.Plan.Namespace, Err: err}
	}
	fmt.Fprintf(o.Progress, "clone: database loaded; starting the web tier\n")
	if res.Applied, _, err = history.Apply(ctx, c, o.Set, o.Source, o.History); err != nil {
		return nil, &IncompleteError{Namespace: o.Plan.Namespace, Err: kube.Explain(err)}
	}
	svc, err := c.Typed.CoreV1().Services(o.Plan.Namespace).Get(ctx, stack.Web.Name, metav1.GetOptions{})
	if err == nil && len(svc.Spec.Ports) > 0 {
		res.NodePort = svc.Spec.Ports[0].NodePort
	}
	return res, nil
}

// downloaded is a backup ready to load, and for a point in time the
// binary log events after it.
type downloaded struct {
	dump     *backup.Dump
	replay   *backup.Replay
	replayed *binlog.Replayed
	discard  func()
}

func download(ctx context.Context, o Options) (*downloaded, error) {
	r := o.Request
	if r.Target == nil {
		_, dump, err := backup.Download(ctx, r.From, o.Plan.Backup, o.Dir, o.Progress)
		if err != nil {
			return nil, err
		}
		return &downloaded{dump: dump, discard: func() { backup.Discard(dump.Path) }}, nil
	}
	p, err := binlog.PrepareRestore(ctx, binlog.PrepareOptions{
		Location: r.From, Target: *r.Target, AcceptGap: r.AcceptGap, Dir: o.Dir, Progress: o.Progress,
	})
	if err != nil {
		return nil, err
	}
	return &downloaded{dump: p.Dump, replay: p.Replay, replayed: p.Replayed, discard: p.Discard}, nil
}
