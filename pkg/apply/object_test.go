package apply

import (
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func mapOverlay(t *testing.T, overlay string) []Object {
	t.Helper()
	objs, err := build.Load(filepath.Join("..", "..", overlay))
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := mapObjects(objs, testrestmapper.TestOnlyStaticRESTMapper(scheme.Scheme), stack.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	return mapped
}

// Each object comes after what it depends on: the namespace first, config
// before the workloads that mount it, policies before the pods they guard.
// A pair whose kind the overlay lacks fails the test: it would prove nothing.
func TestMapOrdersByDependency(t *testing.T) {
	common := [][2]string{
		{"Role", "DaemonSet"},
		{"ConfigMap", "Deployment"},
		{"Service", "StatefulSet"},
		{"NetworkPolicy", "Deployment"},
		{"NetworkPolicy", "StatefulSet"},
	}
	pairs := map[string][][2]string{
		"overlays/dev":  append(common, [2]string{"Secret", "StatefulSet"}, [2]string{"PersistentVolume", "StatefulSet"}),
		"overlays/prod": append(common, [2]string{"Role", "CronJob"}, [2]string{"DaemonSet", "PodDisruptionBudget"}, [2]string{"LimitRange", "Deployment"}),
	}
	for overlay, before := range pairs {
		objs := mapOverlay(t, overlay)
		var kinds []string
		for _, o := range objs {
			kinds = append(kinds, o.GetKind())
		}
		if kinds[0] != "Namespace" {
			t.Fatalf("%s: first object is %s, want Namespace", overlay, kinds[0])
		}
		for _, pair := range before {
			first, second := lastIndex(kinds, pair[0]), slices.Index(kinds, pair[1])
			if first < 0 || second < 0 {
				t.Errorf("%s has no %s or no %s to order: %v", overlay, pair[0], pair[1], kinds)
				continue
			}
			if first > second {
				t.Errorf("%s: a %s comes after a %s: %v", overlay, pair[0], pair[1], kinds)
			}
		}
	}
}

func TestSetNamespaceIsTheStacksNamespace(t *testing.T) {
	if got := setNamespace(mapOverlay(t, "overlays/dev"), "fallback"); got != stack.Namespace {
		t.Fatalf("ApplySet parent namespace %q, want %q", got, stack.Namespace)
	}
}

func TestCheckNamespaceRefusesAContradictingFlag(t *testing.T) {
	objs := mapOverlay(t, "overlays/dev")
	if err := checkNamespace(objs, stack.Namespace); err != nil {
		t.Fatal(err)
	}
	err := checkNamespace(objs, "elsewhere")
	if err == nil {
		t.Fatal("-n elsewhere was accepted for an overlay in k8s-assignment")
	}
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// The groups apply sends at once hold one rank each, in order, and every
// object once.
func TestByRankKeepsOrderAndRanks(t *testing.T) {
	objs := mapOverlay(t, "overlays/prod")
	var flat []Object
	last := -1
	for _, g := range byRank(objs) {
		r := rank(g[0])
		if r < last {
			t.Fatalf("group of rank %d after rank %d", r, last)
		}
		for _, o := range g {
			if rank(o) != r {
				t.Errorf("%s (rank %d) in a group of rank %d", o.Ref(), rank(o), r)
			}
			if o.GetKind() == "Service" && len(g) > 1 {
				t.Errorf("%s shares its group with %d others", o.Ref(), len(g)-1)
			}
		}
		last = r
		flat = append(flat, g...)
	}
	if len(flat) != len(objs) {
		t.Fatalf("groups hold %d objects, want %d", len(flat), len(objs))
	}
	for i := range objs {
		if flat[i].Ref() != objs[i].Ref() {
			t.Fatalf("object %d is %s, want %s", i, flat[i].Ref(), objs[i].Ref())
		}
	}
}
