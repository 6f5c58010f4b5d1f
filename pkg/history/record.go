package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// DefaultMax is how many revisions are kept unless --history-max says.
const DefaultMax = 10

// Options control a recorded apply or rollback.
type Options struct {
	Apply apply.Options
	// Max revisions kept after this one is recorded; 0 keeps all.
	Max int
	// ForceUnlock takes the lock from whoever holds it.
	ForceUnlock bool
	// Warn receives what the user should know but is no failure.
	Warn io.Writer
}

// Source says where a revision's objects came from.
type Source struct {
	Name, Digest, Description string
	// Always records a revision even when nothing changed (a rollback).
	Always bool
}

// session is one apply or rollback holding the lock.
type session struct {
	c     *kube.Clients
	store *Store
	ns    string
	user  string
	lock  *Lock
	o     Options
}

// begin asks who the user is and takes the lock. A namespace that does not
// exist yet holds no stack, no history and no lock: the first apply creates it.
func begin(ctx context.Context, c *kube.Clients, ns string, o Options) (*session, error) {
	s := &session{c: c, store: NewStore(c.Typed, ns), ns: ns, o: o}
	user, err := WhoAmI(ctx, c.Typed)
	if err != nil {
		fmt.Fprintf(o.Warn, "warning: the revision records the user as unknown: %v\n", err)
		user = "unknown"
	}
	s.user = user
	_, err = c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return s, nil
	}
	if err != nil {
		return nil, kube.Explain(err)
	}
	if o.ForceUnlock {
		fmt.Fprintf(o.Warn, "warning: --force-unlock: taking the stack's lock from whoever holds it; an apply still running changes the same objects\n")
	}
	hold := o.Apply.Timeout + 2*time.Minute
	s.lock, err = Acquire(ctx, c.Typed, ns, holder(user), hold, o.ForceUnlock)
	return s, err
}

func (s *session) end(ctx context.Context) {
	if s.lock == nil {
		return
	}
	if err := s.lock.Release(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(s.o.Warn, "warning: %v\n", err)
	}
}

// Apply applies set and records a revision when it changed something or
// failed. The revision holds the objects as set had them before the apply.
func Apply(ctx context.Context, c *kube.Clients, set *apply.Set, src Source, o Options) (*apply.Summary, *Revision, error) {
	if o.Apply.DryRun {
		sum, err := apply.Apply(ctx, c, set, o.Apply)
		return sum, nil, err
	}
	s, err := begin(ctx, c, set.Namespace, o)
	if err != nil {
		return &apply.Summary{}, nil, err
	}
	defer s.end(ctx)
	return s.apply(ctx, set, src)
}

func (s *session) apply(ctx context.Context, set *apply.Set, src Source) (*apply.Summary, *Revision, error) {
	objs, err := EncodeObjects(unstructuredOf(set))
	if err != nil {
		return &apply.Summary{}, nil, err
	}
	sum, applyErr := apply.Apply(ctx, s.c, set, s.o.Apply)
	rev := &Revision{
		Time: time.Now().UTC().Truncate(time.Second), User: s.user, PluginVersion: version.Version,
		Source: src.Name, Digest: src.Digest, Description: src.Description,
		Changes: changes(sum), Status: Applied, Objects: objs,
	}
	if applyErr != nil {
		rev.Status, rev.Error = Failed, kube.OneLine(applyErr)
	}
	if !rev.Changes.Any() && applyErr == nil && !src.Always {
		return sum, nil, nil
	}
	if err := s.record(context.WithoutCancel(ctx), rev); err != nil {
		return sum, nil, errors.Join(applyErr, err)
	}
	return sum, rev, applyErr
}

// record stores rev and trims the history. A namespace the failed apply
// never created cannot hold it; that failure is reported as it is.
func (s *session) record(ctx context.Context, rev *Revision) error {
	entries, err := s.store.listCached(ctx)
	if err != nil {
		return err
	}
	if err := s.store.Create(ctx, rev, entries); apierrors.IsNotFound(err) && rev.Status == Failed {
		return nil
	} else if err != nil {
		return err
	}
	_, err = s.store.Trim(ctx, entries, rev.Number, s.o.Max)
	return err
}

func changes(sum *apply.Summary) Changes {
	n := sum.Counts()
	return Changes{Created: n[apply.Created], Configured: n[apply.Configured], Unchanged: n[apply.Unchanged],
		Pruned: n[apply.Pruned], Kept: n[apply.Kept]}
}

func unstructuredOf(set *apply.Set) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(set.Objects))
	for i, o := range set.Objects {
		out[i] = o.Unstructured
	}
	return out
}
