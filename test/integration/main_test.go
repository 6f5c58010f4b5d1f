// Package integration runs the plugin's verbs against a real kube-apiserver
// and etcd (no kubelet: objects are stored and validated, pods do not run).
// A missing binary fails the run; it never skips.
package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/internal/controlplane"
	"github.com/kubectl-stack/kubectl-stack/pkg/cmd"
)

var cp *controlplane.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	binDir, err := controlplane.BinDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: API-server tests need a control plane:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "kubectl-stack-apiserver-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cp, err = controlplane.Start(ctx, binDir, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: starting etcd and kube-apiserver:", err)
		return 1
	}
	defer cp.Stop()
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "--- kube-apiserver log (tail) ---\n"+cp.Log("kube-apiserver", 4000))
	}
	return code
}

// result is one run of the plugin.
type result struct {
	stdout, stderr string
	code           int
}

// stackCmd runs `kubectl stack ARGS` in-process against the test API server,
// exactly as main does, and returns its output and exit code.
func stackCmd(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	root := cmd.NewCmdStack(streams)
	root.SetArgs(append([]string{"--kubeconfig", cp.Kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache")}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cmd.HandleError(root.ExecuteContext(ctx), &errOut)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func clients(t *testing.T) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg), dynamic.NewForConfigOrDie(cfg)
}

// repoPath returns a path inside the repository.
func repoPath(t *testing.T, rel string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// overlay writes a temporary overlay on top of overlays/dev with the given
// extra kustomization lines, and returns its folder.
func overlay(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\n%s", repoPath(t, "overlays/dev"), extra)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
