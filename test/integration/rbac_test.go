//go:build integration

package integration

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The watcher's ServiceAccount may read its own stack's pods and nothing
// else (not the pods of other namespaces), as the real API server's RBAC
// authorizer decides it.
func watcherLeastPrivilege(t *testing.T) {
	typed, _ := clients(t)
	user := fmt.Sprintf("system:serviceaccount:%s:%s", stack.Namespace, stack.Watcher.Name)
	cases := []struct {
		verb, resource, namespace string
		allowed                   bool
	}{
		{"get", "pods", stack.Namespace, true},
		{"list", "pods", stack.Namespace, true},
		{"watch", "pods", stack.Namespace, true},
		{"list", "pods", "", false},
		{"watch", "pods", "kube-system", false},
		{"get", "secrets", stack.Namespace, false},
		{"list", "secrets", "", false},
		{"create", "pods", stack.Namespace, false},
		{"update", "pods", stack.Namespace, false},
		{"delete", "pods", stack.Namespace, false},
		{"patch", "deployments", stack.Namespace, false},
		{"list", "configmaps", stack.Namespace, false},
	}
	for _, c := range cases {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   user,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + stack.Namespace, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: c.verb, Resource: c.resource, Namespace: c.namespace,
				Group: map[string]string{"deployments": "apps"}[c.resource],
			},
		}}
		got, err := typed.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed != c.allowed {
			t.Errorf("watcher %s %s in %q: allowed=%v, want %v", c.verb, c.resource, c.namespace, got.Status.Allowed, c.allowed)
		}
	}
}
