//go:build e2e

// Package e2e runs the stack on hack/'s local cluster: a real node with
// kubelet, containerd, CNI, kube-proxy, CoreDNS and kube-router, real nginx
// and a real MySQL-compatible server. The plugin runs as `kubectl stack`
// through kubectl's own plugin discovery. A missing prerequisite fails the
// run; it never skips.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
)

var env struct {
	cluster    testCluster
	kubeconfig string
	binDir     string
	pluginDir  string
	nodeIP     string
	stateDir   string
	// stateHome is the plugin's XDG_STATE_HOME (its safety copies).
	stateHome string
	client    kubernetes.Interface
}

// dataRoot holds the tests' own hostPath folders, on a filesystem of their
// own (disk_test.go); overlays/dev/ points the database's volume at
// dataDir. Each run starts and ends without it.
const (
	dataRoot = "/var/lib/kubectl-stack/e2e"
	dataDir  = dataRoot + "/mysql"
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	before, err := fingerprint(localcluster.DataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: reading the user's data folder:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: the user's %s before: %s\n", localcluster.DataDir, before.summary())
	// The plugin's build (130 MB) and its state folder are the run's own:
	// left in /tmp, fifty runs filled the disk until the kubelet evicted
	// the database mid-test.
	defer func() { _ = os.RemoveAll(env.pluginDir); _ = os.RemoveAll(env.stateHome) }()
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: e2e set-up:", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		diagnose()
	}
	if offsite.store != nil {
		if err := offsite.store.remove(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: removing the object store's data:", err)
			return 1
		}
	}
	if err := env.cluster.down(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: removing the tests' cluster:", err)
		return 1
	}
	if err := unmountDataDisk(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: removing the tests' data:", err)
		return 1
	}
	after, err := fingerprint(localcluster.DataDir)
	if err != nil || after.summary() != before.summary() {
		fmt.Fprintf(os.Stderr, "FAIL: the tests changed the user's %s (%v):\n%s\n", localcluster.DataDir, err, before.diff(after))
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: the user's %s after, unchanged: %s\n", localcluster.DataDir, after.summary())
	return code
}

func setUp() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the local node needs root (kubelet, containerd, iptables); run as root")
	}
	var err error
	if env.binDir, err = controlplane.BinDir("kubelet", "kube-proxy", "kube-router", "kubectl"); err != nil {
		return err
	}
	if env.nodeIP, err = node.PrimaryIP(); err != nil {
		return err
	}
	// The tests' own cluster folder: a run after a crash clears what the
	// crash left.
	env.stateDir = stateDir()
	if env.cluster, err = newTestCluster(env.stateDir); err != nil {
		return err
	}
	if env.stateHome, err = os.MkdirTemp("", "kubectl-stack-e2e-state-"); err != nil {
		return err
	}
	// The data filesystem can go only once an earlier run's cluster is
	// down.
	if err := env.cluster.down(); err != nil {
		return err
	}
	if err := os.MkdirAll(env.stateDir, 0o700); err != nil {
		return err
	}
	if err := mountDataDisk(); err != nil {
		return err
	}
	start := time.Now()
	if env.kubeconfig, err = env.cluster.up(dataDir); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "e2e: %T up in %s\n", env.cluster, time.Since(start).Round(time.Second))
	cfg, err := clientcmd.BuildConfigFromFlags("", env.kubeconfig)
	if err != nil {
		return err
	}
	env.client = kubernetes.NewForConfigOrDie(cfg)
	return buildPlugin()
}

// stateDir is the tests' cluster folder: KUBECTL_STACK_E2E_STATE, or
// e2e-cluster in hack/'s cache folder (localcluster.CacheDir).
func stateDir() string {
	if d := os.Getenv("KUBECTL_STACK_E2E_STATE"); d != "" {
		return d
	}
	return filepath.Join(localcluster.CacheDir(), "e2e-cluster")
}

// buildPlugin builds kubectl-stack, and the verbs binary it runs beside
// it, into a folder that goes first on PATH, where kubectl's plugin
// discovery finds it.
func buildPlugin() error {
	dir, err := os.MkdirTemp("", "kubectl-stack-plugin-")
	if err != nil {
		return err
	}
	env.pluginDir = dir
	out, err := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "../../cmd/...").CombinedOutput()
	if err != nil {
		return fmt.Errorf("building the plugin: %v: %s", err, out)
	}
	return nil
}

// result is one run of a command.
type result struct {
	stdout, stderr string
	code           int
}

// kubectl runs the cluster's kubectl (v1.37, built by hack/) with the
// plugin on PATH, so `kubectl stack` goes through plugin discovery.
func kubectl(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	return kubectlEnv(t, timeout, nil, args...)
}

// kubectlEnv is kubectl with more environment (an object store's).
func kubectlEnv(t *testing.T, timeout time.Duration, extra []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(env.binDir, "kubectl"), args...)
	cmd.Env = append(pluginEnv(), extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// startKubectl starts a long-running kubectl (a follow or a watch) and
// returns its stdout; the process is killed when the test ends.
func startKubectl(t *testing.T, args ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(filepath.Join(env.binDir, "kubectl"), args...)
	cmd.Env = pluginEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, stdout
}

// pluginEnv runs kubectl on the tests' cluster with the plugin on PATH and
// the plugin's state (safety copies) in the tests' own folder.
func pluginEnv() []string {
	return append(os.Environ(), "KUBECONFIG="+env.kubeconfig, "XDG_STATE_HOME="+env.stateHome,
		"PATH="+env.pluginDir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func mustKubectl(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	r := kubectl(t, timeout, args...)
	if r.code != 0 {
		t.Fatalf("kubectl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// diagnose prints what a person needs after a failure: pods, events and the
// tail of each component's log.
func diagnose() {
	run := func(args ...string) {
		cmd := exec.Command(filepath.Join(env.binDir, "kubectl"), append([]string{"--kubeconfig", env.kubeconfig}, args...)...)
		out, _ := cmd.CombinedOutput()
		fmt.Fprintf(os.Stderr, "--- kubectl %s ---\n%s\n", strings.Join(args, " "), out)
	}
	run("get", "nodes,pods,pv,pvc", "-A", "-o", "wide")
	run("get", "events", "-A", "--sort-by=.lastTimestamp")
	run("-n", stack.Namespace, "logs", "--all-containers", "--tail=30", "-l", stack.LabelInstance+"="+stack.Instance, "--prefix")
	logs, _ := filepath.Glob(filepath.Join(env.stateDir, "*.log"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		fmt.Fprintf(os.Stderr, "--- %s (tail) ---\n%s\n", filepath.Base(l), data)
	}
}
