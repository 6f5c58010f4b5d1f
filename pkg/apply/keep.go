package apply

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// keepData takes the members that hold the database's data (its namespace,
// claims and volumes) and left the overlay out of the set instead of
// letting prune delete them: an apply or a rollback to an overlay without
// them keeps the data, and the summary says so. Only `delete --purge-data`
// deletes data.
func (a *applier) keepData(ctx context.Context, sum *Summary) error {
	for _, m := range a.live {
		if a.visited.Has(m.GetUID()) || !dataKinds.Has(m.GetKind()) {
			continue
		}
		if !a.dryRun {
			patch := fmt.Appendf(nil, `{"metadata":{"labels":{%q:null}}}`, ApplySetPartOfLabel)
			_, err := resourceClient(a.c, m).Patch(ctx, m.GetName(), types.MergePatchType, patch, metav1.PatchOptions{})
			if err != nil {
				return fmt.Errorf("keeping %s out of the prune: %w", m.Ref(), kube.Explain(err))
			}
		}
		a.visited.Insert(m.GetUID())
		sum.Results = append(sum.Results, result(m.Unstructured, Kept))
	}
	return nil
}
