//go:build integration

package integration

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// operator holds only the roles of hack/rbac/kubectl-stack-user.yaml.
const operator = "stack-operator"

// leastPrivilegeUser: with only the README's roles, bound by an admin, a
// user applies, diffs, reads the status and deletes the stack.
func leastPrivilegeUser(t *testing.T) {
	typed, _ := clients(t)
	ctx := context.Background()
	data, err := os.ReadFile(repoPath(t, "hack/rbac/kubectl-stack-user.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var cr rbacv1.ClusterRole
	var role rbacv1.Role
	if err := dec.Decode(&cr); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&role); err != nil {
		t.Fatal(err)
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: operator}}
	mustCreate := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = typed.RbacV1().ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{})
	mustCreate(err)
	_, err = typed.RbacV1().Roles(stack.Namespace).Create(ctx, &role, metav1.CreateOptions{})
	mustCreate(err)
	_, err = typed.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: operator},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name}, Subjects: subject}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = typed.RbacV1().RoleBindings(stack.Namespace).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: operator},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, Subjects: subject}, metav1.CreateOptions{})
	mustCreate(err)

	as := []string{"--as", operator}
	mustSucceed(t, stackCmd(t, append([]string{"apply", "--wait=false", "-k", repoPath(t, "overlays/dev")}, as...)...))
	if r := stackCmd(t, append([]string{"diff", "-k", repoPath(t, "overlays/dev")}, as...)...); r.code != 0 {
		t.Errorf("diff as %s: exit %d: %s", operator, r.code, r.stderr)
	}
	// No node runs the pods here: status says unhealthy (1), not forbidden.
	if r := stackCmd(t, append([]string{"status"}, as...)...); r.code != 1 || strings.Contains(r.stderr, "forbidden") {
		t.Errorf("status as %s: exit %d: %s", operator, r.code, r.stderr)
	}
	if r := stackCmd(t, append([]string{"netcheck"}, as...)...); strings.Contains(r.stderr, "forbidden") {
		t.Errorf("netcheck as %s: %s", operator, r.stderr)
	}
	// list needs every namespace; the operator's is enough for -n.
	if r := stackCmd(t, append([]string{"list", "-n", stack.Namespace}, as...)...); r.code != 0 || !strings.Contains(r.stdout, stack.Namespace) {
		t.Errorf("list -n %s as %s: exit %d: %s%s", stack.Namespace, operator, r.code, r.stdout, r.stderr)
	}
	mustSucceed(t, stackCmd(t, append([]string{"delete", "-k", repoPath(t, "overlays/dev")}, as...)...))
	// The next step purges the whole stack: put it back as it was.
	mustSucceed(t, stackCmd(t, "apply", "--wait=false", "-k", repoPath(t, "overlays/dev")))
}
