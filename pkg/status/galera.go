package status

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// addGalera adds each member's view of the cluster when the database is
// the HA tier, and warns of a member not Synced, a cluster below its
// size, and a member that waits for `kubectl stack recover`.
func (r *Report) addGalera(ctx context.Context, clients *kube.Clients, ns string) error {
	sts, err := clients.Typed.AppsV1().StatefulSets(ns).Get(ctx, stack.Database.Name, metav1.GetOptions{})
	if err != nil {
		return kube.Explain(err)
	}
	size, ok := galera.Size(sts)
	if !ok {
		return nil
	}
	members, err := galera.Read(ctx, clients, ns)
	if err != nil {
		return err
	}
	r.Galera = members
	for _, w := range galera.Warnings(members, size) {
		r.warn("%s", w)
	}
	return nil
}
