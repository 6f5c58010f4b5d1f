package history

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestTheLockRefusesASecondHolderUntilReleasedOrExpired(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	first, err := Acquire(ctx, c, "ns", "alice", time.Minute, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(ctx, c, "ns", "bob", time.Minute, false)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Holder != "alice" || !strings.Contains(err.Error(), "--force-unlock") {
		t.Fatalf("a second holder: %v", err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	// bob takes it and dies without releasing it.
	if _, err := Acquire(ctx, c, "ns", "bob", time.Second, false); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := Acquire(ctx, c, "ns", "carol", time.Minute, false); !errors.As(err, &locked) {
		t.Fatalf("before bob's lease expires: %v", err)
	}
	l, _ := c.CoordinationV1().Leases("ns").Get(ctx, LockName, metav1.GetOptions{})
	past := l.Spec.RenewTime.Add(-2 * time.Second)
	l.Spec.RenewTime.Time = past
	if _, err := c.CoordinationV1().Leases("ns").Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(ctx, c, "ns", "carol", time.Minute, false); err != nil {
		t.Fatalf("after bob's lease expired: %v", err)
	}
	if _, err := Acquire(ctx, c, "ns", "dave", time.Minute, true); err != nil {
		t.Fatalf("--force-unlock: %v", err)
	}
}
