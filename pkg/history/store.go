package history

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Store reads and writes the revisions of the stack in one namespace.
type Store struct {
	c  kubernetes.Interface
	ns string
}

// NewStore is the store of namespace ns.
func NewStore(c kubernetes.Interface, ns string) *Store { return &Store{c: c, ns: ns} }

// Entry is one revision Secret: the revision, or why it cannot be read.
type Entry struct {
	Number   int
	Revision *Revision
	Err      error
}

// List reads every revision, oldest first. A Secret that cannot be read is
// an entry with its error, so one bad Secret does not hide the others.
func (s *Store) List(ctx context.Context) ([]Entry, error) {
	return s.list(ctx, "")
}

// listCached is List from the API server's watch cache, which answers at
// once: a consistent list right after an apply waits for the cache to see
// the apply's writes (40-60 ms measured on the local node, a third of a
// no-op apply). Recording tolerates a stale list: Create moves on past a
// number taken, and Trim deletes the oldest, which a stale list still has.
func (s *Store) listCached(ctx context.Context) ([]Entry, error) {
	return s.list(ctx, "0")
}

func (s *Store) list(ctx context.Context, resourceVersion string) ([]Entry, error) {
	sel := labels.SelectorFromSet(labels.Set{OwnerLabel: stack.Instance}).String()
	list, err := s.c.CoreV1().Secrets(s.ns).List(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: resourceVersion})
	if err != nil {
		return nil, fmt.Errorf("listing the stack's revisions in namespace %s: %w", s.ns, kube.Explain(err))
	}
	out := make([]Entry, 0, len(list.Items))
	for i := range list.Items {
		sec := &list.Items[i]
		n, _ := strconv.Atoi(sec.Labels[RevisionLabel])
		r, err := fromSecret(sec)
		out = append(out, Entry{Number: n, Revision: r, Err: err})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// Get reads revision n.
func (s *Store) Get(ctx context.Context, n int) (*Revision, error) {
	sec, err := s.c.CoreV1().Secrets(s.ns).Get(ctx, SecretName(n), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &NotFoundError{Number: n, Namespace: s.ns}
	}
	if err != nil {
		return nil, fmt.Errorf("reading revision %d: %w", n, kube.Explain(err))
	}
	return fromSecret(sec)
}

// NotFoundError is a revision the namespace does not hold.
type NotFoundError struct {
	Number    int
	Namespace string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("revision %d not found in namespace %s: `kubectl stack history` lists the revisions kept", e.Number, e.Namespace)
}

// Create stores r as the next revision and sets r.Number. Two writers that
// race for a number both land: the loser takes the next one.
func (s *Store) Create(ctx context.Context, r *Revision, entries []Entry) error {
	r.Number = 1
	if len(entries) > 0 {
		r.Number = entries[len(entries)-1].Number + 1
	}
	for {
		sec, err := r.toSecret(s.ns)
		if err != nil {
			return err
		}
		_, err = s.c.CoreV1().Secrets(s.ns).Create(ctx, sec, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			r.Number++
			continue
		}
		if err != nil {
			return fmt.Errorf("recording revision %d in secret %s/%s: %w", r.Number, s.ns, sec.Name, kube.Explain(err))
		}
		return nil
	}
}

// SetStatus rewrites revision r with a new status.
func (s *Store) SetStatus(ctx context.Context, r *Revision, status Status) error {
	r.Status = status
	sec, err := r.toSecret(s.ns)
	if err != nil {
		return err
	}
	if _, err := s.c.CoreV1().Secrets(s.ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("marking revision %d %s: %w", r.Number, status, kube.Explain(err))
	}
	return nil
}

// Trim deletes the revisions older than the max (0: none) up to newest,
// and returns the numbers it deleted. It goes by number, so a list that
// missed the newest revisions still trims exactly.
func (s *Store) Trim(ctx context.Context, entries []Entry, newest, max int) ([]int, error) {
	if max <= 0 {
		return nil, nil
	}
	var deleted []int
	for _, e := range entries {
		if e.Number > newest-max {
			continue
		}
		err := s.c.CoreV1().Secrets(s.ns).Delete(ctx, SecretName(e.Number), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("deleting revision %d beyond --history-max %d: %w", e.Number, max, kube.Explain(err))
		}
		deleted = append(deleted, e.Number)
	}
	return deleted, nil
}

// NewestSource is the overlay the newest readable revision was applied
// from, or "" when there is none.
func (s *Store) NewestSource(ctx context.Context) (string, error) {
	entries, err := s.List(ctx)
	if err != nil {
		return "", err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if r := entries[i].Revision; r != nil {
			return r.Source, nil
		}
	}
	return "", nil
}
