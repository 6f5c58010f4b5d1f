//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/steps"
)

// Overlays that change the dev stack, for prune, dry-run and diff.
const (
	withoutWebPolicy = `  - patch: |-
      $patch: delete
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: web-from-anywhere
        namespace: k8s-assignment
`
	fiveWebReplicas = `  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 5
`
)

// The verbs run in sequence against one API server, as a user would use them.
func TestLifecycle(t *testing.T) {
	steps.Run(t, []steps.Step{
		{Name: "diff before anything is applied shows every object", Fn: diffEmpty},
		{Name: "apply without -k creates the built-in dev overlay", Fn: applyCreates},
		{Name: "--wait reports progress and names what is not ready at the timeout", Fn: waitTimesOut},
		{Name: "the watcher's ServiceAccount reads pods and nothing else", Fn: watcherLeastPrivilege},
		{Name: "apply again from the folder reports everything unchanged", Fn: applyUnchanged},
		{Name: "dry-run=server reports changes and persists none", Fn: dryRunChangesNothing},
		{Name: "diff exits 0 when in step and 1 when not", Fn: diffExitCodes},
		{Name: "prune removes what left the overlay and nothing else", Fn: pruneOnlyMembers},
		{Name: "a field-manager conflict is a clear error; --force-conflicts takes over", Fn: conflict},
		{Name: "a user RBAC forbids gets a one-line error", Fn: forbidden},
		{Name: "delete keeps the data; apply restores the stack", Fn: deleteKeepsData},
		{Name: "a user holding only hack/rbac's roles applies, diffs, reads status and deletes", Fn: leastPrivilegeUser},
		{Name: "delete --purge-data removes the data too", Fn: purgeData},
	})
}

func applyCreates(t *testing.T) {
	r := stackCmd(t, "apply", "--wait=false", "-o", "json")
	t.Logf("apply summary:\n%s", r.stdout)
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"created": devObjects})

	typed, _ := clients(t)
	ctx := context.Background()
	parent, err := typed.CoreV1().Secrets(stack.Namespace).Get(ctx, stack.ApplySetParent, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ApplySet parent: %v", err)
	}
	id := parent.Labels[apply.ApplySetIDLabel]
	if !strings.HasPrefix(id, "applyset-") || !strings.HasPrefix(parent.Annotations[apply.ApplySetToolingAnnot], "kubectl-stack/") {
		t.Fatalf("parent labels %v annotations %v are not a KEP-3659 ApplySet of kubectl-stack", parent.Labels, parent.Annotations)
	}
	for _, gk := range []string{"Deployment.apps", "StatefulSet.apps", "NetworkPolicy.networking.k8s.io", "Namespace", "PersistentVolume"} {
		if !strings.Contains(","+parent.Annotations[apply.ApplySetKindsAnnot]+",", ","+gk+",") {
			t.Errorf("parent does not record %s: %s", gk, parent.Annotations[apply.ApplySetKindsAnnot])
		}
	}
	web, err := typed.AppsV1().Deployments(stack.Namespace).Get(ctx, stack.Web.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if web.Labels[apply.ApplySetPartOfLabel] != id {
		t.Errorf("web is not labelled as a member: %v", web.Labels)
	}
	if !managedBy(web.ManagedFields, stack.FieldManager) {
		t.Errorf("web has no fields of field manager %s", stack.FieldManager)
	}
	// kubectl itself finds the members by the ApplySet's label.
	out, err := exec.Command("kubectl", "--kubeconfig", cp.Kubeconfig, "get", "deployments,statefulsets,daemonsets",
		"-n", stack.Namespace, "-l", apply.ApplySetPartOfLabel+"="+id, "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get by ApplySet label: %v\n%s", err, out)
	}
	for _, want := range []string{"deployment.apps/web", "statefulset.apps/mysql", "daemonset.apps/watcher"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl does not list %s as a member:\n%s", want, out)
		}
	}
}

func diffEmpty(t *testing.T) {
	r := stackCmd(t, "diff")
	if r.code != 1 {
		t.Fatalf("diff against an empty cluster: exit %d, want 1; stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"+  name: web", "+  name: mysql", "+    nodePort: 30080"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff output lacks %q", want)
		}
	}
}

// This API server runs no controllers, so no rollout ever finishes: apply
// must say so when its timeout runs out, after reporting its progress.
func waitTimesOut(t *testing.T) {
	r := stackCmd(t, "apply", "--timeout=2s", "-o", "json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	expectActions(t, r.stdout, map[string]int{"unchanged": devObjects})
	for _, want := range []string{"waiting  Deployment k8s-assignment/web:", "ready    Service k8s-assignment/web",
		"error: timed out after 2s waiting for ", "Deployment k8s-assignment/web (InProgress"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func applyUnchanged(t *testing.T) {
	r := stackCmd(t, "apply", "-k", repoPath(t, "overlays/dev"), "--wait=false")
	mustSucceed(t, r)
	if !strings.Contains(r.stdout, fmt.Sprintf("0 created, 0 configured, %d unchanged, 0 pruned", devObjects)) {
		t.Errorf("totals line missing:\n%s", r.stdout)
	}
	r = stackCmd(t, "apply", "--wait=false", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"unchanged": devObjects})
	// kubectl's -o name: one resource/name line per object.
	r = stackCmd(t, "apply", "--wait=false", "-o", "name")
	mustSucceed(t, r)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != devObjects || !slices.Contains(lines, "deployment.apps/web") {
		t.Errorf("apply -o name: %d lines, want %d with deployment.apps/web:\n%s", len(lines), devObjects, r.stdout)
	}
}

func dryRunChangesNothing(t *testing.T) {
	typed, _ := clients(t)
	parentBefore := parentAnnotations(t)
	r := stackCmd(t, "apply", "-k", overlay(t, withoutWebPolicy, fiveWebReplicas), "--dry-run=server", "-o", "json")
	mustSucceed(t, r)
	var sum struct {
		DryRun  bool `json:"dryRun"`
		Results []struct{ Kind, Name, Action string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for _, res := range sum.Results {
		got[res.Kind+"/"+res.Name] = res.Action
	}
	if !sum.DryRun || got["Deployment/web"] != "configured" || got["NetworkPolicy/web-from-anywhere"] != "pruned" {
		t.Fatalf("dry run reported %v, want web configured and web-from-anywhere pruned", got)
	}
	web, err := typed.AppsV1().Deployments(stack.Namespace).Get(context.Background(), stack.Web.Name, metav1.GetOptions{})
	if err != nil || *web.Spec.Replicas != stack.WebReplicas {
		t.Fatalf("dry run changed web: %v %v", err, web.Spec.Replicas)
	}
	if _, err := typed.NetworkingV1().NetworkPolicies(stack.Namespace).Get(context.Background(), "web-from-anywhere", metav1.GetOptions{}); err != nil {
		t.Fatalf("dry run pruned the policy: %v", err)
	}
	if after := parentAnnotations(t); !equalMaps(parentBefore, after) {
		t.Fatalf("dry run changed the ApplySet parent: %v -> %v", parentBefore, after)
	}
}

func diffExitCodes(t *testing.T) {
	r := stackCmd(t, "diff", "-k", repoPath(t, "overlays/dev"))
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("diff of an applied overlay: exit %d, output %q %q", r.code, r.stdout, r.stderr)
	}
	r = stackCmd(t, "diff", "-k", overlay(t, withoutWebPolicy, fiveWebReplicas))
	if r.code != 1 {
		t.Fatalf("diff of a changed overlay: exit %d, want 1; stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"-  replicas: 3", "+  replicas: 5", "would prune NetworkPolicy k8s-assignment/web-from-anywhere"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = stackCmd(t, "diff", "-k", "no/such/overlay")
	if r.code != 2 || !strings.Contains(r.stderr, `overlay "no/such/overlay" not found`) {
		t.Errorf("diff of a missing overlay: exit %d %q, want 2 and the path named", r.code, r.stderr)
	}
}

func pruneOnlyMembers(t *testing.T) {
	typed, _ := clients(t)
	ctx := context.Background()
	// Same labels as the stack, but never applied by it: not a member.
	bystander := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bystander", Namespace: stack.Namespace,
		Labels: map[string]string{stack.LabelInstance: stack.Instance, stack.LabelPartOf: stack.Instance, stack.LabelManagedBy: stack.Instance}}}
	if _, err := typed.CoreV1().ConfigMaps(stack.Namespace).Create(ctx, bystander, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := stackCmd(t, "apply", "-k", overlay(t, withoutWebPolicy), "--wait=false", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"unchanged": devObjects - 1, "pruned": 1})
	if !strings.Contains(r.stdout, "web-from-anywhere") {
		t.Fatalf("the pruned object is not named:\n%s", r.stdout)
	}
	if _, err := typed.NetworkingV1().NetworkPolicies(stack.Namespace).Get(ctx, "web-from-anywhere", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("web-from-anywhere survived the prune: %v", err)
	}
	if _, err := typed.CoreV1().ConfigMaps(stack.Namespace).Get(ctx, "bystander", metav1.GetOptions{}); err != nil {
		t.Fatalf("prune deleted an object outside the ApplySet: %v", err)
	}
	r = stackCmd(t, "apply", "-k", repoPath(t, "overlays/dev"), "--wait=false", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"unchanged": devObjects - 1, "created": 1})
}

func conflict(t *testing.T) {
	typed, _ := clients(t)
	ctx := context.Background()
	patch := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":4}}`)
	if _, err := typed.AppsV1().Deployments(stack.Namespace).Patch(ctx, stack.Web.Name, types.ApplyPatchType, patch,
		metav1.PatchOptions{FieldManager: "someone-else", Force: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	r := stackCmd(t, "apply", "--wait=false")
	if r.code == 0 || !strings.Contains(r.stderr, "conflict applying Deployment k8s-assignment/web") ||
		!strings.Contains(r.stderr, "--force-conflicts") {
		t.Fatalf("conflict: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if errLines := strings.Count(lastError(r.stderr), "\n"); errLines != 1 {
		t.Errorf("the error is not one line:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "apply stopped after") {
		t.Errorf("what was applied before the error is not reported:\n%s", r.stderr)
	}
	web, _ := typed.AppsV1().Deployments(stack.Namespace).Get(ctx, stack.Web.Name, metav1.GetOptions{})
	if *web.Spec.Replicas != 4 {
		t.Fatalf("the conflicting apply changed replicas to %d", *web.Spec.Replicas)
	}
	r = stackCmd(t, "apply", "--wait=false", "--force-conflicts", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"unchanged": devObjects - 1, "configured": 1})
	web, _ = typed.AppsV1().Deployments(stack.Namespace).Get(ctx, stack.Web.Name, metav1.GetOptions{})
	if *web.Spec.Replicas != stack.WebReplicas {
		t.Fatalf("--force-conflicts left replicas at %d", *web.Spec.Replicas)
	}
}

func forbidden(t *testing.T) {
	r := stackCmd(t, "apply", "--wait=false", "--as", "nobody")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "forbidden") ||
		strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("forbidden apply: exit %d, stderr %q", r.code, r.stderr)
	}
}

func deleteKeepsData(t *testing.T) {
	typed, _ := clients(t)
	ctx := context.Background()
	// The claim the StatefulSet controller would create from its template
	// (this test cluster runs no controllers).
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: stack.MySQLClaim, Namespace: stack.Namespace, Labels: stack.Database.Selector()},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr.To("kubectl-stack-hostpath"),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}},
		},
	}
	if _, err := typed.CoreV1().PersistentVolumeClaims(stack.Namespace).Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := stackCmd(t, "delete", "--dry-run=server", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"deleted": devObjects - 2, "kept": 2})
	if !strings.Contains(r.stdout, `"dryRun": true`) {
		t.Errorf("delete --dry-run=server does not say it was a dry run:\n%s", r.stdout)
	}
	if _, err := typed.AppsV1().Deployments(stack.Namespace).Get(ctx, stack.Web.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("delete --dry-run=server deleted web: %v", err)
	}
	r = stackCmd(t, "delete", "-k", repoPath(t, "overlays/dev"), "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"deleted": devObjects - 2, "kept": 2})
	if _, err := typed.AppsV1().Deployments(stack.Namespace).Get(ctx, stack.Web.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("web survived delete: %v", err)
	}
	if _, err := typed.CoreV1().PersistentVolumeClaims(stack.Namespace).Get(ctx, stack.MySQLClaim, metav1.GetOptions{}); err != nil {
		t.Fatalf("delete removed the database's claim: %v", err)
	}
	if _, err := typed.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(stack.Namespace), metav1.GetOptions{}); err != nil {
		t.Fatalf("delete removed the database's volume: %v", err)
	}
	r = stackCmd(t, "apply", "--wait=false", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"created": devObjects - 2, "unchanged": 2})
}

func purgeData(t *testing.T) {
	typed, _ := clients(t)
	ctx := context.Background()
	r := stackCmd(t, "delete", "--purge-data", "--yes", "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"deleted": devObjects + 1})
	if pv, err := typed.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(stack.Namespace), metav1.GetOptions{}); !gone(err, pv) {
		t.Fatalf("--purge-data kept the volume: %v", err)
	}
	pvc, err := typed.CoreV1().PersistentVolumeClaims(stack.Namespace).Get(ctx, stack.MySQLClaim, metav1.GetOptions{})
	if !gone(err, pvc) {
		t.Fatalf("--purge-data kept the claim: %v", err)
	}
	// Nothing is left to delete: a clear message and exit 3, "no stack".
	r = stackCmd(t, "delete", "-n", "default")
	if r.code != 3 || !strings.Contains(r.stderr, `no stack in namespace "default"`) {
		t.Fatalf("delete without a stack: exit %d %q", r.code, r.stderr)
	}
}

// gone tells whether an object was deleted: not found, or (with finalizers
// no controller here removes) marked for deletion.
func gone(err error, obj metav1.Object) bool {
	if apierrors.IsNotFound(err) {
		return true
	}
	return err == nil && obj != nil && obj.GetDeletionTimestamp() != nil
}

func managedBy(fields []metav1.ManagedFieldsEntry, manager string) bool {
	for _, f := range fields {
		if f.Manager == manager && f.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

func parentAnnotations(t *testing.T) map[string]string {
	t.Helper()
	typed, _ := clients(t)
	parent, err := typed.CoreV1().Secrets(stack.Namespace).Get(context.Background(), stack.ApplySetParent, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return parent.Annotations
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
