package status

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// addWatcherAccess asks the API server whether the watcher's ServiceAccount
// may still list and watch the namespace's pods, and warns when not: a
// running watcher whose permissions were taken (by another stack's apply,
// or by hand) logs nothing, and its pods still look ready. A user who may
// not ask (no create on localsubjectaccessreviews) gets no verdict either
// way.
func (r *Report) addWatcherAccess(ctx context.Context, c kubernetes.Interface, ns string) error {
	user := fmt.Sprintf("system:serviceaccount:%s:%s", ns, stack.Watcher.Name)
	for _, verb := range []string{"list", "watch"} {
		review := &authorizationv1.LocalSubjectAccessReview{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns},
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               user,
				Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "pods"},
			},
		}
		got, err := c.AuthorizationV1().LocalSubjectAccessReviews(ns).Create(ctx, review, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("asking whether the watcher may %s pods: %w", verb, kube.Explain(err))
		}
		if !got.Status.Allowed {
			r.warn("the watcher's ServiceAccount %s may not %s the pods of %s, so it reports nothing: re-apply the stack to restore its Role", user, verb, ns)
			return nil
		}
	}
	return nil
}
