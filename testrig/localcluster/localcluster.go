// Package localcluster runs hack/'s local cluster: a real control plane and
// one real node on this machine. hack/local/cluster and the end-to-end tests
// use it; both stop only the processes it started, by PID.
package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
)

// NodeName is the local node's name.
const NodeName = "stack-node"

// DataDir is the dev overlay's hostPath folder for the database: the
// user's data, which outlives clusters. The end-to-end tests use a folder
// of their own.
const DataDir = stack.DevDataDir

// programs are the names of the processes up starts; down stops a recorded
// PID only while it still runs one of them.
var programs = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
	"containerd", "kubelet", "kube-proxy", "kube-router", "kwok"}

// CacheDir is where hack/ keeps what it builds and starts, as hack/lib.sh
// says: KUBECTL_STACK_CACHE, else kubectl-stack under XDG_CACHE_HOME or
// ~/.cache.
func CacheDir() string {
	if d := os.Getenv("KUBECTL_STACK_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kubectl-stack")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kubectl-stack")
}

// StateDir is where the cluster keeps its state: KUBECTL_STACK_STATE, or
// cluster in CacheDir. There is one local cluster per machine (it owns the
// bridge, the pod cgroup and NodePort 30080): the end-to-end tests keep
// their state elsewhere and refuse to start while this one runs.
func StateDir() string {
	if d := os.Getenv("KUBECTL_STACK_STATE"); d != "" {
		return d
	}
	return filepath.Join(CacheDir(), "cluster")
}

// ImagesDirEnv names the folder of hack/images/build.sh's image tarballs.
const ImagesDirEnv = "KUBECTL_STACK_IMAGES_DIR"

// RegistryHostsDir is where the node of the cluster in dir reads its
// registries' hosts.toml files.
func RegistryHostsDir(dir string) string { return node.RegistryHostsDir(filepath.Join(dir, "node")) }

// Up clears whatever an earlier run left in dir, starts the cluster with the
// database's hostPath folder dataDir and waits until its node is Ready and
// CoreDNS answers. It returns the admin kubeconfig's path.

func Up(dir, dataDir string) (string, error) {
	binDir, err := controlplane.BinDir("kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kube-router", "kubectl")
	if err != nil {
		return "", err
	}
	images := os.Getenv(ImagesDirEnv)
	if images == "" {
		return "", errors.New(ImagesDirEnv + " is not set: run hack/local/up.sh or make test, which build the images")
	}
	ip, err := node.PrimaryIP()
	if err != nil {
		return "", err
	}
	// Whatever an earlier run left behind goes first, so up is idempotent.
	if err := Down(dir); err != nil {
		return "", fmt.Errorf("clearing an earlier run: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cp, err := controlplane.Start(ctx, binDir, dir, controlplane.Options{Detach: true, NodeIP: ip, NodeName: NodeName})
	if cp != nil {
		if werr := writePIDs(dir, cp.PIDs()); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return "", err
	}
	_, err = node.Start(ctx, cp, node.Config{Name: NodeName, IP: ip, BinDir: binDir, ImagesDir: images,
		Dir: filepath.Join(dir, "node"), DataDir: dataDir})
	if werr := writePIDs(dir, cp.PIDs()); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return "", fmt.Errorf("%w (logs in %s; hack/local/down.sh removes it)", err, dir)
	}
	return cp.Kubeconfig, nil
}

func writePIDs(dir string, pids []int) error {
	var lines []string
	for _, pid := range pids {
		lines = append(lines, strconv.Itoa(pid))
	}
	return os.WriteFile(filepath.Join(dir, "pids"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// Down stops the recorded processes newest first, then removes everything
// the node created. It is safe to run when nothing is up.
func Down(dir string) error {
	pids := livePIDs(dir)
	slices.Reverse(pids)
	for _, pid := range pids {
		stop(pid)
	}
	return node.Cleanup(filepath.Join(dir, "node"), dir)
}

func stop(pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !ours(pid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// Running names the programs of the cluster in dir that still run.
func Running(dir string) []string {
	var names []string
	for _, pid := range livePIDs(dir) {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		names = append(names, filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0]))
	}
	return names
}

// livePIDs returns the recorded processes that still run one of our
// programs, so a PID the system reused for something else is never touched.
func livePIDs(dir string) []int {
	data, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && ours(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func ours(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return false
	}
	exe := filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0])
	return slices.Contains(programs, exe)
}
