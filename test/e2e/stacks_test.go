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
// deleted with --purge-data. Its apply is refused before anything is
// written, naming the first stack: with the first's NodePort, for the
// port; with its own port, for the first's volume. The first stack's
// volume, its watcher's right to read its pods, and its health stay as
// they were through all of it.
func secondStackLeavesTheFirstAlone(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "st2")
	mustKubectl(t, time.Minute, "stack", "init", dir, "--from", "dev")
	params := filepath.Join(dir, "params", "dev")
	file := filepath.Join(params, "kustomization.yaml")
	editFile(t, file, [][2]string{{"namespace: k8s-assignment}", "namespace: " + secondNamespace + "}"}})
	before, err := env.client.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	port := fmt.Sprintf("NodePort %d of Service %s/%s is taken by Service %s/%s", stack.WebNodePort, secondNamespace, stack.Web.Name, stack.Namespace, stack.Web.Name)
	applyRefused(t, params, port)
	editFile(t, file, [][2]string{{fmt.Sprintf("value: %d", stack.WebNodePort), "value: 30081"}})
	applyRefused(t, params, fmt.Sprintf("PersistentVolume %s belongs to the stack in namespace %s", stack.DevVolume, stack.Namespace))
	if _, err := env.client.CoreV1().Namespaces().Get(ctx, secondNamespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused apply created namespace %s (or reading it failed: %v)", secondNamespace, err)
	}
	r := kubectl(t, 2*time.Minute, "stack", "delete", "-n", secondNamespace, "--purge-data", "--yes")
	if r.code == 0 {
		t.Errorf("delete of a stack that does not exist exited 0\n%s%s", r.stdout, r.stderr)
	}

	after, err := env.client.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion || after.DeletionTimestamp != nil {
		t.Errorf("the first stack's volume changed: resourceVersion %s -> %s, deletion %v", before.ResourceVersion, after.ResourceVersion, after.DeletionTimestamp)
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

// applyRefused applies params and expects exit 1 with want on stderr.
func applyRefused(t *testing.T, params, want string) {
	t.Helper()
	r := kubectl(t, 2*time.Minute, "stack", "apply", "-k", params)
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("second stack's apply: exit %d, want 1 and %q\n%s%s", r.code, want, r.stdout, r.stderr)
	}
}
