package apply

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// volume is a PersistentVolume of this stack's ApplySet ("own").
func volume(claimNS, phase string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolume",
		"metadata": map[string]any{"name": "data"},
		"spec":     map[string]any{"claimRef": map[string]any{"namespace": claimNS, "name": "data-mysql-0"}},
		"status":   map[string]any{"phase": phase},
	}}
	u.SetLabels(map[string]string{ApplySetPartOfLabel: "own"})
	return u
}

// A volume bound to another namespace's claim, released by it (its data
// is still there) or reserved for it is that stack's, whoever labelled it;
// one of this namespace's claim is not.
func TestHeldElsewhereByClaim(t *testing.T) {
	ctx := context.Background()
	for _, phase := range []string{"Bound", "Released", "Available"} {
		var held *HeldError
		err := heldElsewhere(ctx, nil, "PersistentVolume data", volume("stack-a", phase), "stack-b", "own")
		if !errors.As(err, &held) || held.Holder != "the stack in namespace stack-a" {
			t.Errorf("a %s volume of stack-a's claim: %v, want held by stack-a", phase, err)
		}
	}
	if err := heldElsewhere(ctx, nil, "PersistentVolume data", volume("stack-b", "Bound"), "stack-b", "own"); err != nil {
		t.Errorf("a volume of this stack's claim: %v, want not held", err)
	}
}
