//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/stacks"
)

// secondNamespace is the second stack's namespace in the tests of many
// stacks in one cluster.
const secondNamespace = "staging"

// The sequence that once took a running stack's permissions and volume:
// a second stack from `init --from dev` in its own namespace, applied, then
// deleted with --purge-data. With the first's NodePort its apply is refused
// before anything is written, naming the first stack; with its own it
// comes up beside the first, on a volume and data folder of its own. The
// first stack's volume, objects, rows, its watcher's right to read its
// pods, and its health stay as they were through all of it.
func secondStackLeavesTheFirstAlone(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "st2")
	mustKubectl(t, time.Minute, "stack", "init", dir, "--from", "dev")
	params := filepath.Join(dir, "params", "dev")
	file := filepath.Join(params, "kustomization.yaml")
	editFile(t, file, [][2]string{
		{"namespace: k8s-assignment}", "namespace: " + secondNamespace + "}"},
		// The tests' data folder, never the user's (main_test.go checks).
		{"\npatches:\n", "\npatches:\n  - target: {kind: PersistentVolume}\n    patch: |-\n      - {op: replace, path: /spec/hostPath/path, value: " + dataDir + "}\n"},
	})
	sql(t, "CREATE TABLE IF NOT EXISTS first_stack (id INT PRIMARY KEY); INSERT IGNORE INTO first_stack VALUES (1), (2), (3)")
	before := stackSummary(t, stack.Namespace)

	port := fmt.Sprintf("NodePort %d of Service %s/%s is taken by Service %s/%s (the stack in namespace %[4]s)", stack.WebNodePort, secondNamespace, stack.Web.Name, stack.Namespace, stack.Web.Name)
	applyRefused(t, params, port)
	if _, err := env.client.CoreV1().Namespaces().Get(ctx, secondNamespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the refused apply created namespace %s (or reading it failed: %v)", secondNamespace, err)
	}
	editFile(t, file, [][2]string{{fmt.Sprintf("value: %d", stack.WebNodePort), fmt.Sprintf("value: %d", clonePort)}})
	if r := kubectl(t, 6*time.Minute, "stack", "apply", "-k", params, "--timeout=5m"); r.code != 0 {
		t.Fatalf("second stack's apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pv, err := env.client.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(secondNamespace), metav1.GetOptions{})
	if err != nil || pv.Status.Phase != "Bound" || pv.Spec.ClaimRef.Namespace != secondNamespace {
		t.Fatalf("the second stack's volume %s: %v %+v", stack.DevVolume(secondNamespace), err, pv)
	}
	listsOnly(t, stack.Namespace, secondNamespace)
	answeredByItsOwn(t, stack.Namespace, env.cluster.webAddr())
	answeredByItsOwn(t, secondNamespace, nodePortAddr(t, clonePort))
	if after := stackSummary(t, stack.Namespace); after != before {
		t.Errorf("the second stack's apply changed the first:\nbefore %s\nafter  %s", before, after)
	}

	if r := kubectl(t, 3*time.Minute, "stack", "delete", "-n", secondNamespace, "--purge-data", "--yes"); r.code != 0 {
		t.Fatalf("second stack's delete --purge-data: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitStackGone(t, secondNamespace)
	if after := stackSummary(t, stack.Namespace); after != before {
		t.Errorf("the second stack's delete --purge-data changed the first:\nbefore %s\nafter  %s", before, after)
	}
	watcher := fmt.Sprintf("system:serviceaccount:%s:%s", stack.Namespace, stack.Watcher.Name)
	for _, verb := range []string{"list", "watch"} {
		out := kubectl(t, time.Minute, "auth", "can-i", verb, "pods", "-n", stack.Namespace, "--as", watcher)
		if strings.TrimSpace(out.stdout) != "yes" {
			t.Errorf("the first stack's watcher may no longer %s its pods: %s%s", verb, out.stdout, out.stderr)
		}
	}
	if r := kubectl(t, time.Minute, "stack", "status"); r.code != 0 {
		t.Errorf("the first stack is no longer healthy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	listsOnly(t, stack.Namespace)
}

// stackSummary sums up what another stack must never change of the one in
// namespace ns: its volume (resource version, deletion), its ApplySet's
// members, and its tables' checksums.
func stackSummary(t *testing.T, ns string) string {
	t.Helper()
	pv, err := env.client.CoreV1().PersistentVolumes().Get(context.Background(), stack.DevVolume(ns), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Workloads by generation (their status moves on its own), the rest by
	// resource version; each with the set that holds it.
	format := "jsonpath={range .items[*]}{.kind}/{.metadata.name}@%s:{.metadata.labels.applyset\\.kubernetes\\.io/part-of} {end}"
	members := mustKubectl(t, time.Minute, "-n", ns, "get", "deployments,statefulsets,daemonsets",
		"-l", "applyset.kubernetes.io/part-of", "-o", fmt.Sprintf(format, "{.metadata.generation}")) +
		mustKubectl(t, time.Minute, "-n", ns, "get", "secrets,configmaps,services,serviceaccounts,roles,rolebindings,networkpolicies",
			"-l", "applyset.kubernetes.io/part-of", "-o", fmt.Sprintf(format, "{.metadata.resourceVersion}"))
	checksums := tableChecksums(t, ns)
	return fmt.Sprintf("volume %s@%s deleting=%v; members %s; %s", pv.Name, pv.ResourceVersion, pv.DeletionTimestamp != nil, members, strings.Join(strings.Fields(checksums), " "))
}

// applyRefused applies params and expects exit 1 with want on stderr.
func applyRefused(t *testing.T, params, want string) {
	t.Helper()
	r := kubectl(t, 2*time.Minute, "stack", "apply", "-k", params)
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("second stack's apply: exit %d, want 1 and %q\n%s%s", r.code, want, r.stdout, r.stderr)
	}
}

// listsOnly checks that `kubectl stack list` shows the stacks of the
// namespaces given, healthy, each with its overlay and a revision.
func listsOnly(t *testing.T, namespaces ...string) {
	t.Helper()
	var list struct {
		Kind  string         `json:"kind"`
		Items []stacks.Stack `json:"items"`
	}
	if err := json.Unmarshal([]byte(mustKubectl(t, time.Minute, "stack", "list", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range list.Items {
		got = append(got, s.Namespace)
		if s.Health != stacks.Healthy || s.Revision == 0 || s.Source == "" || s.Database == "" {
			t.Errorf("list: %+v, want healthy with a revision, its overlay and its database", s)
		}
	}
	if list.Kind != "StackList" || !slices.Equal(got, namespaces) {
		t.Errorf("list: %s of %v, want StackList of %v", list.Kind, got, namespaces)
	}
}
