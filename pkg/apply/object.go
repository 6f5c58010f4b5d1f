// Package apply applies, diffs and deletes the stack as a KEP-3659 ApplySet,
// reusing kubectl's own ApplySet implementation so kubectl reads the same
// labels and annotations.
package apply

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Object is one manifest with the API resource that serves it.
type Object struct {
	*unstructured.Unstructured
	Mapping *meta.RESTMapping
}

// Ref names the object the way kubectl prints it: Kind/name, with namespace.
func (o Object) Ref() string {
	if ns := o.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GetKind(), ns, o.GetName())
	}
	return fmt.Sprintf("%s %s", o.GetKind(), o.GetName())
}

func (o Object) namespaced() bool {
	return o.Mapping.Scope.Name() == meta.RESTScopeNameNamespace
}

// mapObjects finds each object's API resource and gives namespaced objects
// without a namespace the default one. The result is in dependency order.
func mapObjects(objs []*unstructured.Unstructured, mapper meta.RESTMapper, defaultNamespace string) ([]Object, error) {
	out := make([]Object, 0, len(objs))
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if kube.IsUnreachable(err) {
			return nil, kube.Explain(err)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), kube.Explain(err))
		}
		o := Object{Unstructured: u, Mapping: m}
		if o.namespaced() && u.GetNamespace() == "" {
			u.SetNamespace(defaultNamespace)
		}
		if !o.namespaced() {
			u.SetNamespace("")
		}
		out = append(out, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

// kindRank orders kinds so each object's dependencies exist before it does.
// NetworkPolicies come before workloads, unlike a plain "policies last"
// order, so no pod of the stack ever runs without its deny-by-default rules.
var kindRank = map[string]int{
	"Namespace":                0,
	"CustomResourceDefinition": 1,
	"ClusterRole":              2,
	"ClusterRoleBinding":       2,
	"PriorityClass":            2,
	"ServiceAccount":           3,
	"Role":                     3,
	"RoleBinding":              3,
	"ResourceQuota":            3,
	"LimitRange":               3,
	"ConfigMap":                3,
	"Secret":                   3,
	"StorageClass":             4,
	"PersistentVolume":         4,
	"PersistentVolumeClaim":    4,
	"Service":                  5,
	"NetworkPolicy":            6,
	"Deployment":               7,
	"StatefulSet":              7,
	"DaemonSet":                7,
	"ReplicaSet":               7,
	"Job":                      7,
	"CronJob":                  7,
	"Pod":                      7,
	"PodDisruptionBudget":      8,
	"HorizontalPodAutoscaler":  8,
}

// unknownRank places kinds the table does not know (custom resources) after
// the built-in objects they may refer to.
const unknownRank = 9

func rank(o Object) int {
	if r, ok := kindRank[o.GetKind()]; ok {
		return r
	}
	if !o.namespaced() {
		return kindRank["ClusterRole"]
	}
	return unknownRank
}

// setNamespace is where the ApplySet parent lives: the namespace the objects
// create, or the one they live in.
func setNamespace(objs []Object, fallback string) string {
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.Mapping.GroupVersionKind.Group == "" {
			return o.GetName()
		}
	}
	for _, o := range objs {
		if o.namespaced() {
			return o.GetNamespace()
		}
	}
	return fallback
}

// checkNamespace refuses a -n that contradicts the overlay, which fixes the
// namespace of every object it holds.
func checkNamespace(objs []Object, namespace string) error {
	for _, o := range objs {
		if o.namespaced() && o.GetNamespace() != namespace {
			return fmt.Errorf("-n %s conflicts with the overlay, which puts %s in namespace %s: drop -n or change the overlay's namespace",
				namespace, o.Ref(), o.GetNamespace())
		}
	}
	return nil
}
