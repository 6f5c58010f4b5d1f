//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// Each bad input gets one line naming the problem and the fix, the exit
// status of the README's table (2 bad flags or arguments, 3 no stack, 1 the rest), and no
// change on the cluster.
func TestBadInputIsAOneLineErrorAndChangesNothing(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(garbage, []byte("this: is: not a kubeconfig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notADump := filepath.Join(t.TempDir(), "notes.sql.gz")
	if err := os.WriteFile(notADump, []byte("shopping list\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("shopping list\n"))
	if err := os.WriteFile(notADump+".sha256", []byte(hex.EncodeToString(sum[:])+"  notes.sql.gz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		code int
		args []string
		want string
	}{
		{"missing overlay path", 1, []string{"apply", "-k", "no/such/dir"},
			`overlay "no/such/dir" not found: pass -k a folder that holds a kustomization.yaml`},
		{"kustomization with a syntax error", 1, []string{"apply", "-k", writeOverlay(t, "resources: [\n")},
			"building overlay"},
		{"unknown resource kind", 1, []string{"apply", "-k", writeOverlay(t, withWidget)},
			"unknown resource kind Widget.example.com: the cluster does not serve it (install its CRD first, or remove it from the overlay)"},
		{"invalid kubeconfig", 1, []string{"apply", "--kubeconfig", garbage},
			"(check --kubeconfig and --context)"},
		{"unreachable server", 1, []string{"apply", "--server", "https://127.0.0.1:1"},
			"cannot reach the cluster"},
		{"unknown flag", 2, []string{"apply", "--no-such-flag"},
			"unknown flag: --no-such-flag"},
		{"unsupported dry run", 2, []string{"apply", "--dry-run=client"},
			"--dry-run=client is not supported: use --dry-run=server"},
		{"unsupported output", 2, []string{"apply", "-o", "xml"},
			`--output "xml" is not supported: use one of json, yaml, kyaml, name, go-template`},
		{"-n that contradicts the overlay", 1, []string{"apply", "-n", "elsewhere"},
			"-n elsewhere conflicts with the overlay"},
		{"events where the watcher is not deployed", 3, []string{"events", "-n", "default"},
			`no stack in namespace "default" (no DaemonSet watcher)`},
		{"events with an unknown type", 2, []string{"events", "--type", "renamed"},
			`--type "renamed" is not an event: use created, updated or deleted`},
		{"status with an unknown output", 2, []string{"status", "-o", "xml"},
			`--output "xml" is not supported: use one of json, yaml, kyaml, name, go-template`},
		{"restore of a file that is not a dump", 1, []string{"restore", notADump, "--yes"},
			"is not a mysqldump file"},
		{"restore of a missing file", 2, []string{"restore", "no-such.sql.gz", "--yes"},
			"backup file no-such.sql.gz does not exist"},
		{"backup into a missing folder", 2, []string{"backup", "no/such/dir/b.sql.gz"},
			"folder no/such/dir does not exist: create it first"},
		{"backup where no database runs", 3, []string{"backup", "-n", "default", filepath.Join(t.TempDir(), "b.sql.gz")},
			`no stack in namespace "default" (no database pod mysql-0)`},
		{"netcheck with half a query", 2, []string{"netcheck", "--from", "app=x"},
			"a query needs --from, --to and --port together"},
		{"netcheck with a port out of range", 2, []string{"netcheck", "--from", "app=x", "--to", "mysql-0", "--port", "99999"},
			`--port "99999" is not a port`},
	}
	// Every verb that reads a deployed stack says "none here" the same way.
	for _, verb := range [][]string{{"netcheck"}, {"status"}, {"delete"}, {"events"}, {"backup", filepath.Join(t.TempDir(), "b.sql")}, {"mysql"}} {
		r := stackCmd(t, append(verb, "-n", "default")...)
		if r.code != 3 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, `error: no stack in namespace "default"`) {
			t.Errorf("%s where no stack runs: exit %d, stderr %q", verb[0], r.code, r.stderr)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := stackCmd(t, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, c.code, r.stderr)
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
