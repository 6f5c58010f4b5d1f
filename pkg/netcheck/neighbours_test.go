package netcheck

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/clone"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Two stacks of each built-in overlay, the second moved into its own
// namespace as a clone is: their policies deny each one's web tier the
// other's database, both ways, while each reaches its own.
func TestStacksDeniedToEachOther(t *testing.T) {
	for _, overlay := range build.EmbeddedOverlays() {
		first, err := build.Load(overlay)
		if err != nil {
			t.Fatal(err)
		}
		second, err := clone.IntoNamespace(first, "staging")
		if err != nil {
			t.Fatal(err)
		}
		s := &Scene{
			Web:   tier(stack.Namespace, stack.Web, "10.0.0.10"),
			MySQL: tier(stack.Namespace, stack.Database, "10.0.0.20"),
			Neighbours: []Neighbour{{Namespace: "staging",
				Web: tier("staging", stack.Web, "10.0.1.10"), MySQL: tier("staging", stack.Database, "10.0.1.20")}},
			Policies: append(networkPolicies(t, first), networkPolicies(t, second)...),
		}
		checks := s.neighbourChecks()
		if len(checks) != 3 {
			t.Fatalf("%s: %d checks between two stacks, want 3", overlay, len(checks))
		}
		for _, c := range checks {
			if v := Evaluate(s.Policies, c.Conn); v.Allowed != c.Want {
				t.Errorf("%s: %s: allowed %v, want %v (%s)", overlay, c.Name, v.Allowed, c.Want, v.Reason)
			}
		}
		if v := Evaluate(s.Policies, Connection{From: s.Web, To: s.MySQL, Port: stack.MySQLPort}); !v.Allowed {
			t.Errorf("%s: web -> its own mysql denied (%s)", overlay, v.Reason)
		}
	}
}

func tier(ns string, c stack.Component, ip string) Endpoint {
	return Endpoint{Name: c.Name, Namespace: ns, NamespaceLabels: map[string]string{corev1.LabelMetadataName: ns},
		Labels: c.Selector(), IP: ip, Ports: []corev1.ContainerPort{{ContainerPort: stack.MySQLPort}}}
}

func networkPolicies(t *testing.T, objs []*unstructured.Unstructured) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, u := range objs {
		if u.GetKind() != "NetworkPolicy" {
			continue
		}
		var p networkingv1.NetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		t.Fatal("no NetworkPolicy in the overlay")
	}
	return out
}
