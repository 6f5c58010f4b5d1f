package clone

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// prod backs up into the location its ConfigMap names: a clone of a
// backup taken there would back up over the source's, so it is refused.
// Elsewhere it is moved, and the web Service gets the NodePort asked, or
// none for the API server to pick.
func TestPrepare(t *testing.T) {
	prod, err := build.Load("overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	own := "s3://kubectl-stack-backups/k8s-assignment/"
	_, err = Prepare(prod, &Plan{Namespace: "staging", Location: own}, 0)
	if err == nil || !strings.Contains(err.Error(), "would have the clone back up and archive into s3://kubectl-stack-backups/k8s-assignment, the location it is cloned from") {
		t.Fatalf("a clone backing up into its source's location: %v", err)
	}
	for _, port := range []int32{0, 30090} {
		objs, err := Prepare(prod, &Plan{Namespace: "staging", Location: "s3://elsewhere/prod"}, port)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range objs {
			if u.GetKind() != "Service" || u.GetName() != stack.Web.Name {
				continue
			}
			ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
			got, found, _ := unstructured.NestedInt64(ports[0].(map[string]any), "nodePort")
			if port == 0 && found || port != 0 && got != int64(port) {
				t.Errorf("--node-port %d: the Service's nodePort is %d (set: %v)", port, got, found)
			}
		}
	}
}
