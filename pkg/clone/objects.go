package clone

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Prepare moves the overlay's objects into the clone's namespace, gives
// the web Service nodePort (0: one the API server picks), and refuses an
// overlay whose backups or binary log archive would be written into the
// location the clone reads: the source stack's, which a clone never
// touches.
func Prepare(objs []*unstructured.Unstructured, p *Plan, nodePort int32) ([]*unstructured.Unstructured, error) {
	moved, err := IntoNamespace(objs, p.Namespace)
	if err != nil {
		return nil, err
	}
	for _, u := range moved {
		switch {
		case u.GetKind() == "Service" && u.GetName() == stack.Web.Name:
			if err := setNodePort(u, nodePort); err != nil {
				return nil, err
			}
		case u.GetKind() == "ConfigMap":
			to, _, _ := unstructured.NestedString(u.Object, "data", stack.BackupLocationEnv)
			if to != "" && sameLocation(to, p.Location) {
				return nil, fmt.Errorf("the overlay's ConfigMap %s would have the clone back up and archive into %s, the location it is cloned from: "+
					"set another location in it (components/scheduled-backup/location.yaml) and pass that overlay with -k", u.GetName(), to)
			}
		}
	}
	return moved, nil
}

func sameLocation(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

func setNodePort(svc *unstructured.Unstructured, port int32) error {
	ports, _, err := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if err != nil || len(ports) == 0 {
		return fmt.Errorf("Service %s has no ports to give a NodePort", svc.GetName())
	}
	first := ports[0].(map[string]any)
	if port == 0 {
		delete(first, "nodePort")
	} else {
		first["nodePort"] = int64(port)
	}
	return unstructured.SetNestedSlice(svc.Object, ports, "spec", "ports")
}

// webStopped is the set with the web tier at 0 replicas: the database is
// loaded before anyone is served from it.
func webStopped(s *apply.Set) *apply.Set {
	out := &apply.Set{Namespace: s.Namespace, Objects: make([]apply.Object, len(s.Objects))}
	for i, o := range s.Objects {
		u := o.DeepCopy()
		if u.GetKind() == "Deployment" && u.GetName() == stack.Web.Name {
			_ = unstructured.SetNestedField(u.Object, int64(0), "spec", "replicas")
		}
		out.Objects[i] = apply.Object{Unstructured: u, Mapping: o.Mapping}
	}
	return out
}
