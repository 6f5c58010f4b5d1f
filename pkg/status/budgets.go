package status

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// addBudgets warns of each PodDisruptionBudget that cannot be met: fewer
// healthy pods than it requires, so the next voluntary eviction (a node
// drain) is refused, or the budget already counts as violated.
func (r *Report) addBudgets(ctx context.Context, c kubernetes.Interface, ns string) error {
	list, err := c.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return kube.Explain(err)
	}
	for _, pdb := range list.Items {
		s := pdb.Status
		if s.ObservedGeneration < pdb.Generation {
			continue // the disruption controller has not looked at it yet
		}
		if s.CurrentHealthy < s.DesiredHealthy {
			r.warn("PodDisruptionBudget %s cannot be met: %d healthy pods, it needs %d", pdb.Name, s.CurrentHealthy, s.DesiredHealthy)
		}
	}
	return nil
}
