//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
)

// Revisions on their own API server: three applies, history, rollback to
// the first (live objects as recorded), a rollback to a revision without the
// volume (kept), --history-max, a failed apply, and the bad input.
func TestHistoryAndRollback(t *testing.T) {
	h := &historyRun{cp: startControlPlane(t)}
	h.typed, h.dyn = clientsOn(t, h.cp.Kubeconfig)
	h.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(h.typed.Discovery()))
	run := func(args ...string) result { return stackCmdOn(t, h.cp.Kubeconfig, nil, args...) }

	// 1: the built-in dev overlay. 2: five web replicas and a new ConfigMap.
	// 3: that without the web policy.
	second := historyOverlay(t, true, fiveWebReplicas)
	third := historyOverlay(t, true, fiveWebReplicas, withoutWebPolicy)
	for _, args := range [][]string{{}, {"-k", second}, {"-k", third}, {"-k", third}} {
		r := run(append([]string{"apply", "--wait=false"}, args...)...)
		mustSucceed(t, r)
	}
	revs := h.history(t, run)
	want := []history.Changes{{Created: devObjects}, {Created: 1, Configured: 1, Unchanged: devObjects - 1}, {Unchanged: devObjects, Pruned: 1}}
	if len(revs) != 3 {
		t.Fatalf("history holds %d revisions after three changing applies and one no-op, want 3: %+v", len(revs), revs)
	}
	for i, r := range revs {
		if r.Changes != want[i] || r.Status != history.Applied || r.User == "" || r.User == "unknown" || !strings.HasPrefix(r.Digest, "sha256:") {
			t.Errorf("revision %d: %+v, want changes %+v, applied, a user and a digest", r.Number, r, want[i])
		}
	}
	if revs[1].Digest == revs[2].Digest || !strings.Contains(revs[0].Source, "built in") {
		t.Errorf("sources and digests do not tell the overlays apart: %+v", revs)
	}

	r := run("diff", "--revision", "1")
	if r.code != 1 || !strings.Contains(r.stdout, "replicas") {
		t.Errorf("diff --revision 1 against revision 3: exit %d, want 1 and the replicas' change\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustSucceed(t, run("rollback", "1", "--dry-run=server", "--wait=false"))
	if n := len(h.history(t, run)); n != 3 {
		t.Fatalf("rollback --dry-run=server recorded a revision: %d", n)
	}

	mustSucceed(t, run("rollback", "1", "--wait=false"))
	h.expectLiveAsRendered(t, "")
	revs = h.history(t, run)
	if last := revs[len(revs)-1]; last.Description != "rollback to 1" || last.Status != history.Applied || revs[2].Status != history.RolledBack {
		t.Errorf("after rollback 1: %+v", revs)
	}

	h.claimSurvives(t, run)
	h.historyMax(t, run)
	h.failedApply(t, run)
	h.badInput(t, run)
}

type historyRun struct {
	cp     *controlplane.ControlPlane
	typed  kubernetes.Interface
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func (h *historyRun) history(t *testing.T, run func(...string) result) []history.Revision {
	t.Helper()
	r := run("history", "-o", "json")
	mustSucceed(t, r)
	var list struct{ Items []history.Revision }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("history -o json: %v\n%s", err, r.stdout)
	}
	return list.Items
}

// historyOverlay is the dev overlay with patches and, when config is set,
// a new ConfigMap.
func historyOverlay(t *testing.T, config bool, patches ...string) string {
	dir := overlay(t, patches...)
	if !config {
		return dir
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: history-extra\n  namespace: k8s-assignment\ndata:\n  note: revision two\n"
	if err := os.WriteFile(filepath.Join(dir, "extra.yaml"), []byte(cm), 0o644); err != nil {
		t.Fatal(err)
	}
	k := filepath.Join(dir, "kustomization.yaml")
	data, _ := os.ReadFile(k)
	if err := os.WriteFile(k, []byte(strings.Replace(string(data), "resources:\n", "resources:\n  - extra.yaml\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// expectLiveAsRendered checks every object the overlay renders is live with
// each field as rendered (the server adds defaults, it changes none), and
// that the ConfigMap of revision 2 is gone.
func (h *historyRun) expectLiveAsRendered(t *testing.T, overlay string) {
	t.Helper()
	objs, err := build.Load(overlay)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, want := range objs {
		live, err := h.get(ctx, want)
		if err != nil {
			t.Errorf("%s %s: %v", want.GetKind(), want.GetName(), err)
			continue
		}
		for _, field := range []string{"spec", "data", "rules", "roleRef", "subjects"} {
			if w, ok := want.Object[field]; ok && !subset(w, live.Object[field]) {
				t.Errorf("%s %s: live %s differs from revision 1's:\n want %v\n live %v", want.GetKind(), want.GetName(), field, w, live.Object[field])
			}
		}
	}
	if _, err := h.typed.CoreV1().ConfigMaps(stack.Namespace).Get(ctx, "history-extra", metav1.GetOptions{}); err == nil {
		t.Error("the ConfigMap revision 1 lacks is still there after rollback 1")
	}
}

func (h *historyRun) get(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	gvk := u.GroupVersionKind()
	m, err := h.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	r := h.dyn.Resource(m.Resource)
	if u.GetNamespace() == "" {
		return r.Get(ctx, u.GetName(), metav1.GetOptions{})
	}
	return r.Namespace(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
}

// subset says every field of want is in live with the same value; numbers
// compare by value, since JSON and the server type them differently.
func subset(want, live any) bool {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, l[k]) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], l[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, live) || fmt.Sprint(want) == fmt.Sprint(live)
}

// claimSurvives rolls back to a revision without the dev volume: the volume
// and the database's claim stay, and the summary says kept.
func (h *historyRun) claimSurvives(t *testing.T, run func(...string) result) {
	ctx := context.Background()
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: stack.MySQLClaim, Namespace: stack.Namespace, Labels: map[string]string{stack.LabelInstance: stack.Instance}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}},
		},
	}
	if _, err := h.typed.CoreV1().PersistentVolumeClaims(stack.Namespace).Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	withoutVolume := historyOverlay(t, false, `  - patch: |-
      $patch: delete
      apiVersion: v1
      kind: PersistentVolume
      metadata:
        name: `+stack.DevVolume(stack.Namespace)+`
`)
	r := run("apply", "--wait=false", "-k", withoutVolume, "-o", "json")
	mustSucceed(t, r)
	expectActions(t, r.stdout, map[string]int{"unchanged": devObjects - 1, "kept": 1})
	mustSucceed(t, run("apply", "--wait=false"))
	noVolume := h.history(t, run)
	target := noVolume[len(noVolume)-2].Number
	r = run("rollback", fmt.Sprint(target), "--wait=false")
	mustSucceed(t, r)
	if !strings.Contains(r.stdout, "1 kept") {
		t.Errorf("rollback to a revision without the volume does not say it kept it:\n%s", r.stdout)
	}
	if _, err := h.typed.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(stack.Namespace), metav1.GetOptions{}); err != nil {
		t.Errorf("the volume is gone after a rollback to a revision without it: %v", err)
	}
	if _, err := h.typed.CoreV1().PersistentVolumeClaims(stack.Namespace).Get(ctx, stack.MySQLClaim, metav1.GetOptions{}); err != nil {
		t.Errorf("the claim is gone after a rollback: %v", err)
	}
}

// historyMax keeps two revisions, the newest.
func (h *historyRun) historyMax(t *testing.T, run func(...string) result) {
	before := h.history(t, run)
	mustSucceed(t, run("apply", "--wait=false", "--history-max", "2"))
	revs := h.history(t, run)
	newest := before[len(before)-1].Number + 1
	if len(revs) != 2 || revs[1].Number != newest || revs[0].Number != newest-1 {
		t.Errorf("--history-max 2 kept %+v, want revisions %d and %d", revs, newest-1, newest)
	}
}

// failedApply: an object the server refuses half-way is recorded as failed,
// and status names the last good revision.
func (h *historyRun) failedApply(t *testing.T, run func(...string) result) {
	bad := historyOverlay(t, false, `  - target: {kind: Deployment, name: web}
    patch: |-
      - {op: add, path: /spec/template/spec/noSuchField, value: 1}
`)
	r := run("apply", "--wait=false", "-k", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "noSuchField") || !strings.Contains(r.stderr, "recorded revision") {
		t.Fatalf("apply of an invalid object: exit %d, want 1 naming the field and the failed revision\n%s", r.code, r.stderr)
	}
	revs := h.history(t, run)
	last, good := revs[len(revs)-1], revs[len(revs)-2]
	if last.Status != history.Failed || !strings.Contains(last.Error, "noSuchField") {
		t.Errorf("the failed apply is recorded as %+v", last)
	}
	r = run("status", "-o", "json")
	var rep struct {
		Revision struct {
			Status   string
			LastGood int `json:"lastGoodRevision"`
		}
		Warnings []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status -o json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	if rep.Revision.Status != "failed" || rep.Revision.LastGood != good.Number || !strings.Contains(strings.Join(rep.Warnings, "\n"), fmt.Sprintf("last good revision %d", good.Number)) {
		t.Errorf("status after a failed apply: %+v, want it failed and last good %d", rep, good.Number)
	}
}

// badInput: a revision that does not exist, one tampered with, one from a
// newer plugin, and a lock another apply holds.
func (h *historyRun) badInput(t *testing.T, run func(...string) result) {
	ctx := context.Background()
	revs := h.history(t, run)
	oneLine := func(what string, r result, code int, want string) {
		t.Helper()
		line := lastError(r.stderr)
		if r.code != code || !strings.Contains(line, want) || strings.Count(line, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and one line with %q", what, r.code, r.stderr, code, want)
		}
	}
	oneLine("rollback 99", run("rollback", "99"), 2, "revision 99 not found")
	oneLine("rollback abc", run("rollback", "abc"), 2, "not a revision number")

	secrets := h.typed.CoreV1().Secrets(stack.Namespace)
	name := history.SecretName(revs[0].Number)
	sec, err := secrets.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	original := sec.DeepCopy()
	sec.Data["objects.json.gz"] = append(sec.Data["objects.json.gz"], 0)
	if _, err := secrets.Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	oneLine("rollback to a tampered revision", run("rollback", fmt.Sprint(revs[0].Number)), 2, "changed outside the plugin")
	r := run("history")
	if r.code != 0 || !strings.Contains(r.stdout, "invalid") || !strings.Contains(r.stderr, "changed outside the plugin") {
		t.Errorf("history with a tampered revision: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	sec = original.DeepCopy()
	sec.ResourceVersion = ""
	sec.Data["format"] = []byte("2")
	if _, err := secrets.Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	oneLine("rollback to a newer plugin's revision", run("rollback", fmt.Sprint(revs[0].Number)), 1, "newer kubectl-stack")

	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: history.LockName, Namespace: stack.Namespace}}
	if l, err := h.typed.CoordinationV1().Leases(stack.Namespace).Get(ctx, history.LockName, metav1.GetOptions{}); err == nil {
		lease = l
	}
	lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: ptr.To("alice on ci (pid 42)"), LeaseDurationSeconds: ptr.To(int32(600)), AcquireTime: &now, RenewTime: &now}
	if lease.ResourceVersion == "" {
		_, err = h.typed.CoordinationV1().Leases(stack.Namespace).Create(ctx, lease, metav1.CreateOptions{})
	} else {
		_, err = h.typed.CoordinationV1().Leases(stack.Namespace).Update(ctx, lease, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	oneLine("rollback while another holds the lock", run("rollback", "--wait=false"), 1, "alice on ci (pid 42)")
	r = run("rollback", "--wait=false", "--force-unlock")
	mustSucceed(t, r)
	if !strings.Contains(r.stderr, "--force-unlock") {
		t.Errorf("--force-unlock does not say what it breaks:\n%s", r.stderr)
	}
}
