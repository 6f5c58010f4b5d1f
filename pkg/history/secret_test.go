package history

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
)

func sample(t *testing.T) *Revision {
	t.Helper()
	objs := []*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "a", "namespace": "ns"}, "data": map[string]any{"k": "v"}}}}
	data, err := EncodeObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	return &Revision{Number: 3, Time: time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC), User: "alice", Source: "overlays/dev",
		Digest: "sha256:00", Description: "apply", Changes: Changes{Created: 1}, Status: Applied, Objects: data}
}

func TestARevisionSurvivesItsSecret(t *testing.T) {
	r := sample(t)
	sec, err := r.toSecret("ns")
	if err != nil {
		t.Fatal(err)
	}
	if sec.Name != "kubectl-stack.v3" || sec.Type != SecretType || sec.Labels[RevisionLabel] != "3" || sec.Labels[StatusLabel] != "applied" {
		t.Fatalf("secret %s type %s labels %v", sec.Name, sec.Type, sec.Labels)
	}
	for _, key := range []string{"app.kubernetes.io/instance", "applyset.kubernetes.io/part-of"} {
		if _, ok := sec.Labels[key]; ok {
			t.Errorf("a revision Secret carries %s: the stack's verbs would count it", key)
		}
	}
	back, err := fromSecret(sec)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := back.DecodeObjects()
	if err != nil || len(objs) != 1 || objs[0].GetName() != "a" || back.User != "alice" || !back.Time.Equal(r.Time) {
		t.Fatalf("read back %+v, %v, %v", back, objs, err)
	}
}

func TestASecretChangedOrFromANewerPluginIsRefused(t *testing.T) {
	cases := map[string]struct {
		change func(data map[string][]byte)
		want   string
	}{
		"objects changed": {func(d map[string][]byte) { d[keyObjects] = append(d[keyObjects], 0) }, "changed outside the plugin"},
		"metadata changed": {func(d map[string][]byte) {
			d[keyRevision] = []byte(strings.Replace(string(d[keyRevision]), "alice", "mallory", 1))
		}, "changed outside the plugin"},
		"a newer format":    {func(d map[string][]byte) { d[keyFormat] = []byte("2") }, "newer kubectl-stack"},
		"format not number": {func(d map[string][]byte) { d[keyFormat] = []byte("x") }, "not a number"},
	}
	for name, c := range cases {
		sec, err := sample(t).toSecret("ns")
		if err != nil {
			t.Fatal(err)
		}
		c.change(sec.Data)
		_, err = fromSecret(sec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
	sec, _ := sample(t).toSecret("ns")
	sec.Data[keyObjects] = append(sec.Data[keyObjects], 0)
	var tampered *TamperedError
	if _, err := fromSecret(sec); !errors.As(err, &tampered) {
		t.Errorf("a tampered Secret is not a TamperedError: %v", err)
	}
}

// Trim goes by number: a list that missed the newest revisions still
// leaves exactly max.
func TestTrimKeepsTheNewestByNumber(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	store := NewStore(c, "ns")
	var entries []Entry
	for n := 1; n <= 6; n++ {
		r := sample(t)
		if err := store.Create(ctx, r, entries); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, Entry{Number: r.Number, Revision: r})
	}
	stale := entries[:4] // the list did not see 5 and 6 yet
	deleted, err := store.Trim(ctx, stale, 6, 2)
	if err != nil || len(deleted) != 4 {
		t.Fatalf("deleted %v, %v; want 1..4", deleted, err)
	}
	left, err := c.CoreV1().Secrets("ns").List(ctx, metav1.ListOptions{})
	if err != nil || len(left.Items) != 2 {
		t.Fatalf("%d revisions left, want 2: %v", len(left.Items), err)
	}
}

// Create takes the next number free, even past a list that missed one.
func TestCreateMovesPastANumberTaken(t *testing.T) {
	ctx := context.Background()
	store := NewStore(fake.NewClientset(), "ns")
	first := sample(t)
	if err := store.Create(ctx, first, nil); err != nil || first.Number != 1 {
		t.Fatalf("first revision %d, %v", first.Number, err)
	}
	second := sample(t)
	if err := store.Create(ctx, second, nil); err != nil || second.Number != 2 {
		t.Fatalf("a stale list gave revision %d, %v; want 2", second.Number, err)
	}
}
