package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// badNamespace is the namespace the bad overlays below would create; no case
// may leave it behind.
const badNamespace = "bad-input"

// Each bad input gets one line naming the problem and the fix, exit 1, and
// no change on the cluster.
func TestBadInputIsAOneLineErrorAndChangesNothing(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(garbage, []byte("this: is: not a kubeconfig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing overlay path", []string{"apply", "-k", "no/such/dir"},
			`overlay "no/such/dir" not found: pass -k a folder that holds a kustomization.yaml`},
		{"kustomization with a syntax error", []string{"apply", "-k", writeOverlay(t, "resources: [\n")},
			"building overlay"},
		{"unknown resource kind", []string{"apply", "-k", writeOverlay(t, withWidget)},
			"unknown resource kind Widget.example.com: the cluster does not serve it (install its CRD first, or remove it from the overlay)"},
		{"invalid kubeconfig", []string{"apply", "--kubeconfig", garbage},
			"(check --kubeconfig and --context)"},
		{"unreachable server", []string{"apply", "--server", "https://127.0.0.1:1"},
			"cannot reach the cluster"},
		{"unknown flag", []string{"apply", "--no-such-flag"},
			"unknown flag: --no-such-flag"},
		{"unsupported dry run", []string{"apply", "--dry-run=client"},
			"--dry-run=client is not supported: use --dry-run=server"},
		{"unsupported output", []string{"apply", "-o", "xml"},
			`--output "xml" is not supported: use json or yaml`},
		{"-n that contradicts the overlay", []string{"apply", "-n", "elsewhere"},
			"-n elsewhere conflicts with the overlay"},
		{"events where the watcher is not deployed", []string{"events", "-n", "default"},
			`the watcher is not deployed in namespace "default" (no DaemonSet watcher)`},
		{"events with an unknown type", []string{"events", "--type", "renamed"},
			`--type "renamed" is not an event: use created, updated or deleted`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := stackCmd(t, c.args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "error: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("want one line starting with \"error: \", got %q", r.stderr)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Fatalf("stderr %q does not contain %q", r.stderr, c.want)
			}
			typed, _ := clients(t)
			if _, err := typed.CoreV1().Namespaces().Get(context.Background(), badNamespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("the failed apply left namespace %s behind: %v", badNamespace, err)
			}
		})
	}
}

const withWidget = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - widget.yaml
`

// writeOverlay writes a kustomization (and the objects it may name) into a
// temporary folder.
func writeOverlay(t *testing.T, kustomization string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"kustomization.yaml": kustomization,
		"namespace.yaml":     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + badNamespace + "\n",
		"widget.yaml":        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: " + badNamespace + "\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
