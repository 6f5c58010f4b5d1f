package history

import (
	"context"
	"fmt"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Rollback re-applies revision target's objects (0: the revision before
// the current one) with apply's server-side apply, prune and wait, and
// records a revision "rollback to N". The revision that was current is
// marked rolled back. Data-holding objects the target lacks are kept.
func Rollback(ctx context.Context, c *kube.Clients, ns string, target int, o Options) (*apply.Summary, *Revision, error) {
	if o.Apply.DryRun {
		_, set, err := Load(ctx, c, ns, target)
		if err != nil {
			return &apply.Summary{}, nil, err
		}
		sum, err := apply.Apply(ctx, c, set, o.Apply)
		return sum, nil, err
	}
	s, err := begin(ctx, c, ns, o)
	if err != nil {
		return &apply.Summary{}, nil, err
	}
	defer s.end(ctx)
	from, set, err := Load(ctx, c, ns, target)
	if err != nil {
		return &apply.Summary{}, nil, err
	}
	current, err := s.current(ctx)
	if err != nil {
		return &apply.Summary{}, nil, err
	}
	src := Source{Name: from.Source, Digest: from.Digest, Description: fmt.Sprintf("rollback to %d", from.Number), Always: true}
	sum, rev, err := s.apply(ctx, set, src)
	if err == nil && current != nil && current.Number != from.Number {
		err = s.store.SetStatus(context.WithoutCancel(ctx), current, RolledBack)
	}
	return sum, rev, err
}

// Load reads revision target (0: the one before the current) and maps its
// objects onto the cluster's API.
func Load(ctx context.Context, c *kube.Clients, ns string, target int) (*Revision, *apply.Set, error) {
	store := NewStore(c.Typed, ns)
	if target == 0 {
		n, err := previous(ctx, store)
		if err != nil {
			return nil, nil, err
		}
		target = n
	}
	rev, err := store.Get(ctx, target)
	if err != nil {
		return nil, nil, err
	}
	objs, err := rev.DecodeObjects()
	if err != nil {
		return nil, nil, err
	}
	set, err := apply.FromObjects(c, objs, ns, false)
	if err != nil {
		return nil, nil, fmt.Errorf("revision %d: %w", rev.Number, err)
	}
	return rev, set, nil
}

// previous is the newest applied revision before the newest one.
func previous(ctx context.Context, store *Store) (int, error) {
	entries, err := store.List(ctx)
	if err != nil {
		return 0, err
	}
	for i := len(entries) - 2; i >= 0; i-- {
		if e := entries[i]; e.Err == nil && e.Revision.Status != Failed {
			return e.Number, nil
		}
	}
	return 0, fmt.Errorf("no earlier revision to roll back to in namespace %s (%d kept): `kubectl stack history` lists them", store.ns, len(entries))
}

// current is the newest revision that applied, or nil.
func (s *session) current(ctx context.Context) (*Revision, error) {
	entries, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; e.Err == nil && e.Revision.Status == Applied {
			return e.Revision, nil
		}
	}
	return nil, nil
}

// LastGood is the newest revision that applied, and the newest revision,
// for status; both nil when the namespace has no history.
func LastGood(ctx context.Context, store *Store) (last, good *Revision, err error) {
	entries, err := store.List(ctx)
	if err != nil || len(entries) == 0 {
		return nil, nil, err
	}
	last = entries[len(entries)-1].Revision
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; e.Err == nil && e.Revision.Status != Failed {
			return last, e.Revision, nil
		}
	}
	return last, nil, nil
}
