package status

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/history"
)

// Revision is the newest recorded revision and the newest that applied.
type Revision struct {
	Number   int            `json:"revision"`
	Status   history.Status `json:"status"`
	Time     time.Time      `json:"time"`
	User     string         `json:"user"`
	Source   string         `json:"source"`
	Error    string         `json:"error,omitempty"`
	LastGood int            `json:"lastGoodRevision,omitempty"`
}

// addRevision reads the history, when the stack has one and the user may
// read it; a failed newest apply is a warning that names the last good one.
func (r *Report) addRevision(ctx context.Context, c kubernetes.Interface, ns string) error {
	last, good, err := history.LastGood(ctx, history.NewStore(c, ns))
	if apierrors.IsForbidden(err) || last == nil && err == nil {
		return nil
	}
	if err != nil {
		return err
	}
	r.Revision = &Revision{Number: last.Number, Status: last.Status, Time: last.Time, User: last.User, Source: last.Source, Error: last.Error}
	if good != nil {
		r.Revision.LastGood = good.Number
	}
	if last.Status == history.Failed {
		hint := "no revision applied yet"
		if good != nil {
			hint = fmt.Sprintf("last good revision %d (kubectl stack rollback %d)", good.Number, good.Number)
		}
		r.warn("the last apply (revision %d) failed: %s; %s", last.Number, last.Error, hint)
	}
	return nil
}

func (v *Revision) line() string {
	s := fmt.Sprintf("revision:  %d %s %s by %s from %s", v.Number, v.Status, v.Time.Format(time.RFC3339), v.User, v.Source)
	if v.LastGood != 0 && v.LastGood != v.Number {
		s += fmt.Sprintf("; last good revision %d", v.LastGood)
	}
	return s
}
