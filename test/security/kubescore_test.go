//go:build e2e

// Package security checks the rendered overlays with kube-score, built from
// the Go module proxy: no CRITICAL finding in either. The exceptions the
// overlays take are annotated on the objects, each with its reason.
package security

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
)

const kubeScore = "github.com/zegl/kube-score/cmd/kube-score@v1.20.0"

func TestKubeScoreFindsNothingCritical(t *testing.T) {
	bin := t.TempDir()
	install := exec.Command("go", "install", kubeScore)
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install %s: %v\n%s", kubeScore, err, out)
	}
	for _, overlay := range []string{"overlays/dev", "overlays/prod", "overlays/dev-ha", "overlays/prod-ha"} {
		objs, err := build.Load(filepath.Join("../..", overlay))
		if err != nil {
			t.Fatal(err)
		}
		var docs []string
		for _, o := range objs {
			data, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(data))
		}
		manifest := filepath.Join(t.TempDir(), "rendered.yaml")
		if err := os.WriteFile(manifest, []byte(strings.Join(docs, "---\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(filepath.Join(bin, "kube-score"), "score", "--output-format", "ci", manifest).CombinedOutput()
		if !strings.Contains(string(out), "[OK]") {
			t.Fatalf("%s: kube-score gave no verdicts:\n%s", overlay, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "[CRITICAL]") {
				t.Errorf("%s: %s", overlay, line)
			}
		}
	}
}
