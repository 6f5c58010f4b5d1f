package status

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// BinlogArchive is the binary log archiver's report, as it last wrote it
// into its ConfigMap, with the lag aged to now.
type BinlogArchive struct {
	Running    bool    `json:"running"`
	LagSeconds float64 `json:"lagSeconds"`
	binlog.Status
}

// addBinlogArchive reads the archiver's status, when the stack has one,
// and warns when it lags by more than lagWarning, has a gap, or is down.
func (r *Report) addBinlogArchive(ctx context.Context, c kubernetes.Interface, ns string, lagWarning time.Duration) error {
	cm, err := c.CoreV1().ConfigMaps(ns).Get(ctx, stack.BinlogArchiverStatus, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	a := &BinlogArchive{}
	s, err := binlog.ReadStatus(cm.Data)
	if err != nil {
		r.warn("binlog archiver: %v", err)
		return nil
	}
	if s != nil {
		a.Status = *s
	}
	a.LagSeconds = a.Lag(time.Now()).Round(time.Second).Seconds()
	d, err := c.AppsV1().Deployments(ns).Get(ctx, stack.BinlogArchiver.Name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	a.Running = err == nil && d.Status.ReadyReplicas > 0
	r.Binlog = a
	switch {
	case !a.Running:
		r.warn("binlog archiver: not running; the archive falls behind the database")
	case s == nil:
		r.warn("binlog archiver: has not reported yet")
	}
	if lag := time.Duration(a.LagSeconds) * time.Second; s != nil && lag > lagWarning {
		r.warn("binlog archiver: %s behind (over %s): writes since %s are not archived yet", lag, lagWarning, a.ArchivedThrough.Format(time.RFC3339))
	}
	if a.Gap != "" {
		r.warn("binlog archiver: %s; take a backup to recover past it", a.Gap)
	}
	return nil
}

// lines are what status prints of the archiver.
func (a *BinlogArchive) lines() []string {
	out := []string{fmt.Sprintf("binlogs:   lag %s, newest event %s at %s", time.Duration(a.LagSeconds)*time.Second, timeOrDash(a.NewestEvent), a.Newest)}
	if len(a.Windows) == 0 {
		return append(out, "recovery:  no point in time recoverable yet (needs a verified backup taken while the archiver runs)")
	}
	for _, w := range a.Windows {
		out = append(out, "recovery:  "+w.String())
	}
	return out
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}
