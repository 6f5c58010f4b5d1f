package apply

import (
	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Set is an overlay's objects mapped onto the cluster's API, in dependency
// order, with the namespace that holds their ApplySet. Every verb that reads
// an overlay starts from one, so the namespace is decided in one place.
type Set struct {
	Objects   []Object
	Namespace string
}

// Load builds the overlay (the dev overlay built into the plugin when
// overlay is empty) and maps it. namespace is -n; explicit says whether it
// was given: then it must agree with the overlay's, else the overlay's own
// namespace (or the stack's) is used.
func Load(c *kube.Clients, overlay, namespace string, explicit bool) (*Set, error) {
	objs, err := build.Load(overlay)
	if err != nil {
		return nil, err
	}
	if !explicit {
		namespace = stack.Namespace
	}
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
