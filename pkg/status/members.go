package status

import (
	"context"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// countMembers counts the objects labelled as members of the stack's
// ApplySet, over the kinds its parent records. It reads metadata only, so a
// large set costs little. -1 means there is no parent (applied without the
// plugin, for example with `kubectl apply -k`).
func countMembers(ctx context.Context, md metadata.Interface, mapper meta.RESTMapper, ns string) (int, error) {
	parent, err := md.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns).Get(ctx, stack.ApplySetParent, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return -1, nil
	}
	if err != nil {
		return 0, kube.Explain(err)
	}
	sel := metav1.ListOptions{LabelSelector: apply.ApplySetPartOfLabel + "=" + parent.GetLabels()[apply.ApplySetIDLabel]}
	total := 0
	for _, gk := range strings.Split(parent.GetAnnotations()[apply.ApplySetKindsAnnot], ",") {
		if gk == "" {
			continue
		}
		mapping, err := mapper.RESTMapping(schema.ParseGroupKind(gk))
		if err != nil {
			return 0, kube.Explain(err)
		}
		client := md.Resource(mapping.Resource)
		var list *metav1.PartialObjectMetadataList
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			list, err = client.Namespace(ns).List(ctx, sel)
		} else {
			list, err = client.List(ctx, sel)
		}
		if err != nil {
			return 0, kube.Explain(err)
		}
		total += len(list.Items)
	}
	return total, nil
}
