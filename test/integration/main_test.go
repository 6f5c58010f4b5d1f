//go:build integration

// Package integration runs the plugin's verbs against a real kube-apiserver
// and etcd (no kubelet: objects are stored and validated, pods do not run).
// A missing binary fails the run; it never skips.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/cmd"
	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
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
	return stackCmdOn(t, cp.Kubeconfig, nil, args...)
}

// stackCmdOn runs `kubectl stack ARGS` against the cluster of kubeconfig;
// stderr, when not nil, also gets what the command prints there.
func stackCmdOn(t *testing.T, kubeconfig string, stderr io.Writer, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	var errW io.Writer = &errOut
	if stderr != nil {
		errW = io.MultiWriter(&errOut, stderr)
	}
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: errW}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cmd.Execute(ctx, streams, append([]string{"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache")}, args...))
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// startControlPlane starts a control plane for one test, which may crash
// it; it is stopped when the test ends.
func startControlPlane(t *testing.T) *controlplane.ControlPlane {
	t.Helper()
	binDir, err := controlplane.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	own, err := controlplane.Start(ctx, binDir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("kube-apiserver log (tail):\n" + own.Log("kube-apiserver", 4000))
		}
		own.Stop()
	})
	return own
}

// lineWatch is a writer that closes seen once a line starting with prefix
// was written to it.
type lineWatch struct {
	prefix string
	seen   chan struct{}
	mu     sync.Mutex
	buf    []byte
	once   sync.Once
}

func newLineWatch(prefix string) *lineWatch {
	return &lineWatch{prefix: prefix, seen: make(chan struct{})}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for _, line := range strings.Split(string(w.buf), "\n") {
		if strings.HasPrefix(line, w.prefix) {
			w.once.Do(func() { close(w.seen) })
		}
	}
	return len(p), nil
}

func clients(t *testing.T) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	return clientsOn(t, cp.Kubeconfig)
}

// clientsOn are the clients of the cluster of kubeconfig.
func clientsOn(t *testing.T, kubeconfig string) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
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
// patches (items of a kustomization's patches list), and returns its folder.
func overlay(t *testing.T, patches ...string) string {
	t.Helper()
	dir := t.TempDir()
	// kustomize takes only relative paths to other kustomizations.
	dev, err := filepath.Rel(dir, repoPath(t, "overlays/dev"))
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\npatches:\n%s", dev, strings.Join(patches, ""))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustSucceed(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// devObjects is how many objects the dev overlay built into the plugin
// holds: apply without -k applies exactly these.
var devObjects = func() int {
	objs, err := build.Load("")
	if err != nil {
		panic(err)
	}
	return len(objs)
}()

// expectActions checks an apply's or a delete's `-o json` summary: how many
// objects got each action, and no others.
func expectActions(t *testing.T, summary string, want map[string]int) {
	t.Helper()
	var sum apply.Summary
	if err := json.Unmarshal([]byte(summary), &sum); err != nil {
		t.Fatalf("summary is not -o json: %v\n%s", err, summary)
	}
	got := map[string]int{}
	for _, r := range sum.Results {
		got[string(r.Action)]++
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("%d objects %s, want %d\n%s", got[action], action, n, summary)
		}
		delete(got, action)
	}
	for action, n := range got {
		t.Errorf("%d unexpected objects %s\n%s", n, action, summary)
	}
}

// lastError returns the "error: ..." line of stderr and its newline.
func lastError(stderr string) string {
	i := strings.LastIndex(stderr, "error: ")
	if i < 0 {
		return ""
	}
	return stderr[i:]
}
