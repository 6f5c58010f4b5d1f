package apply

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// DeleteOptions control delete.
type DeleteOptions struct {
	// PurgeData also deletes the namespace, claims and volumes, and with them
	// the database's data.
	PurgeData bool
	// DryRun sends every deletion to the API server as a dry run.
	DryRun bool
}

// dataKinds hold the database's data: the claims, their volumes, and the
// namespace, whose deletion would delete the claims in it.
var dataKinds = sets.New("Namespace", "PersistentVolume", "PersistentVolumeClaim")

// Delete removes the members of the stack's ApplySet in reverse dependency
// order. Unless PurgeData is set it keeps the objects that hold data.
func Delete(ctx context.Context, c *kube.Clients, namespace string, o DeleteOptions) (*Summary, error) {
	sum := &Summary{DryRun: o.DryRun}
	if err := requireParent(ctx, c, namespace); err != nil {
		return sum, err
	}
	members, err := Members(ctx, c, namespace)
	if err != nil {
		return sum, err
	}
	if o.PurgeData {
		claims, err := stackClaims(ctx, c, namespace)
		if err != nil {
			return sum, err
		}
		members = append(members, claims...)
	}
	// A member bound to another stack's claim (a volume another stack's
	// apply took over before the guard existed) is that stack's data.
	ownID := setID(c, namespace)
	for _, m := range members {
		if err := heldElsewhere(ctx, c, m.Ref(), m.Unstructured, namespace, ownID); err != nil {
			return sum, err
		}
	}
	sort.SliceStable(members, func(i, j int) bool { return rank(members[i]) > rank(members[j]) })
	for _, m := range members {
		if dataKinds.Has(m.GetKind()) && !o.PurgeData {
			sum.Results = append(sum.Results, result(m.Unstructured, Kept))
			continue
		}
		opts := metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}
		if o.DryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		err := resourceClient(c, m).Delete(ctx, m.GetName(), opts)
		if err != nil && !apierrors.IsNotFound(err) {
			return sum, fmt.Errorf("deleting %s: %w", m.Ref(), kube.Explain(err))
		}
		sum.Results = append(sum.Results, result(m.Unstructured, Deleted))
	}
	return sum, nil
}

// Members lists every live object the ApplySet holds, read through kubectl's
// ApplySet so the same labels and annotations decide membership.
func Members(ctx context.Context, c *kube.Clients, namespace string) ([]Object, error) {
	set, err := openApplySet(c, namespace)
	if err != nil {
		return nil, err
	}
	if err := set.read(); err != nil {
		return nil, err
	}
	return set.members(ctx, sets.New[types.UID]())
}

// stackClaims lists the claims the StatefulSet created from its templates;
// they carry the stack's labels but are not ApplySet members.
func stackClaims(ctx context.Context, c *kube.Clients, namespace string) ([]Object, error) {
	mapping, err := c.Mapper.RESTMapping(schema.GroupKind{Kind: "PersistentVolumeClaim"}, "v1")
	if err != nil {
		return nil, kube.Explain(err)
	}
	sel := labels.SelectorFromSet(labels.Set{stack.LabelInstance: stack.Instance}).String()
	list, err := c.Dynamic.Resource(mapping.Resource).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("listing the stack's claims: %w", kube.Explain(err))
	}
	out := make([]Object, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, Object{Unstructured: &list.Items[i], Mapping: mapping})
	}
	return out, nil
}
