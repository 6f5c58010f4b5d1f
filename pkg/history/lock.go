package history

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// LockName is the Lease an apply or a rollback holds while it changes the
// stack, so two of them never interleave their objects and revisions.
const LockName = stack.Instance + "-apply"

// Lock is a held Lease.
type Lock struct {
	c     kubernetes.Interface
	lease *coordinationv1.Lease
}

// LockedError says another apply or rollback holds the lock.
type LockedError struct {
	Namespace, Holder string
	Since, Expires    time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another apply or rollback holds the stack's lock (lease %s/%s): %s, since %s, until %s; "+
		"wait for it, or if it died, re-run with --force-unlock (two applies at once interleave their objects and revisions)",
		e.Namespace, LockName, e.Holder, e.Since.UTC().Format(time.RFC3339), e.Expires.UTC().Format(time.RFC3339))
}

// Acquire takes the lock in namespace ns for holder, for at most hold (a
// holder that dies frees it then). force takes it from whoever holds it.
func Acquire(ctx context.Context, c kubernetes.Interface, ns, holder string, hold time.Duration, force bool) (*Lock, error) {
	leases := c.CoordinationV1().Leases(ns)
	now := metav1.NewMicroTime(time.Now())
	want := coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(holder),
		LeaseDurationSeconds: ptr.To(int32(hold.Seconds())),
		AcquireTime:          &now,
		RenewTime:            &now,
	}
	cur, err := leases.Get(ctx, LockName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l, err := leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: LockName, Namespace: ns}, Spec: want}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return Acquire(ctx, c, ns, holder, hold, force)
		}
		if err != nil {
			return nil, fmt.Errorf("taking the stack's lock (lease %s/%s): %w", ns, LockName, kube.Explain(err))
		}
		return &Lock{c: c, lease: l}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the stack's lock (lease %s/%s): %w", ns, LockName, kube.Explain(err))
	}
	if held := heldBy(cur, now.Time); held != nil && !force {
		return nil, held
	}
	cur.Spec = want
	l, err := leases.Update(ctx, cur, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		// Someone took it between the read and the write.
		return Acquire(ctx, c, ns, holder, hold, force)
	}
	if err != nil {
		return nil, fmt.Errorf("taking the stack's lock (lease %s/%s): %w", ns, LockName, kube.Explain(err))
	}
	return &Lock{c: c, lease: l}, nil
}

// heldBy is the LockedError of a lease someone holds now, or nil.
func heldBy(l *coordinationv1.Lease, now time.Time) *LockedError {
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return nil
	}
	expires := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
	if !now.Before(expires) {
		return nil
	}
	since := l.Spec.RenewTime.Time
	if l.Spec.AcquireTime != nil {
		since = l.Spec.AcquireTime.Time
	}
	return &LockedError{Namespace: l.Namespace, Holder: *l.Spec.HolderIdentity, Since: since, Expires: expires}
}

// Release frees the lock if this holder still has it; a lock taken over
// with --force-unlock is left to its new holder.
func (l *Lock) Release(ctx context.Context) error {
	l.lease.Spec.HolderIdentity = nil
	l.lease.Spec.LeaseDurationSeconds = nil
	l.lease.Spec.AcquireTime, l.lease.Spec.RenewTime = nil, nil
	_, err := l.c.CoordinationV1().Leases(l.lease.Namespace).Update(ctx, l.lease, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("releasing the stack's lock (lease %s/%s): %w", l.lease.Namespace, LockName, kube.Explain(err))
	}
	return nil
}
