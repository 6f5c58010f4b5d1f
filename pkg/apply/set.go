package apply

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Set is an overlay's objects mapped onto the cluster's API, in dependency
// order, with the namespace that holds their ApplySet. Every verb that reads
// an overlay starts from one, so the namespace is decided in one place.
type Set struct {
	Objects   []Object
	Namespace string
}

// Load builds the overlay (the dev overlay built into the plugin when
// overlay is empty) and maps it. namespace is the one the command line
// decided (-n, else the stack's); explicit says -n gave it: then the
// overlay must agree with it, else objects without a namespace get it.
func Load(c *kube.Clients, overlay, namespace string, explicit bool) (*Set, error) {
	objs, err := build.Load(overlay)
	if err != nil {
		return nil, err
	}
	return FromObjects(c, objs, namespace, explicit)
}

// FromObjects maps objects already built (an overlay's, or a recorded
// revision's) as Load does.
func FromObjects(c *kube.Clients, objs []*unstructured.Unstructured, namespace string, explicit bool) (*Set, error) {
	mapped, err := mapObjects(objs, c.Mapper, namespace)
	if err != nil {
		return nil, err
	}
	if explicit {
		if err := checkNamespace(mapped, namespace); err != nil {
			return nil, err
		}
	}
	return &Set{Objects: mapped, Namespace: setNamespace(mapped, namespace)}, nil
}
