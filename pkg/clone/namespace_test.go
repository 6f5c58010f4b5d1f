package clone

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Every object of each built-in overlay lands in the new namespace, the
// RoleBindings name the new namespace's ServiceAccounts, and the dev
// volume is the new stack's own.
func TestIntoNamespace(t *testing.T) {
	for _, overlay := range build.EmbeddedOverlays() {
		objs, err := build.Load(overlay)
		if err != nil {
			t.Fatal(err)
		}
		moved, err := IntoNamespace(objs, "staging")
		if err != nil {
			t.Fatalf("%s: %v", overlay, err)
		}
		if len(moved) != len(objs) {
			t.Fatalf("%s: %d objects, want %d", overlay, len(moved), len(objs))
		}
		for _, u := range moved {
			where := u.GetNamespace()
			switch u.GetKind() {
			case "Namespace":
				where = u.GetName()
			case "PersistentVolume":
				// The HA tier's: one per member, DevVolume.POD.
				if name := u.GetName(); name != stack.DevVolume("staging") && !strings.HasPrefix(name, stack.DevVolume("staging")+".") {
					t.Errorf("%s: volume %s, want %s or a member's %s.POD", overlay, name, stack.DevVolume("staging"), stack.DevVolume("staging"))
				}
				where, _, _ = unstructured.NestedString(u.Object, "spec", "claimRef", "namespace")
			}
			if where != "staging" {
				t.Errorf("%s: %s %s is in namespace %q", overlay, u.GetKind(), u.GetName(), where)
			}
			if u.GetKind() == "RoleBinding" {
				subjects, _, _ := unstructured.NestedSlice(u.Object, "subjects")
				for _, s := range subjects {
					if ns := s.(map[string]any)["namespace"]; ns != nil && ns != "staging" {
						t.Errorf("%s: RoleBinding %s names a subject of namespace %v", overlay, u.GetName(), ns)
					}
				}
			}
		}
	}
}
