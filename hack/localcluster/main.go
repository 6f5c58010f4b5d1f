// Command localcluster runs hack/'s loopback control plane (etcd and
// kube-apiserver, no node yet) for people, as the tests run it for
// themselves:
//
//	go run ./hack/localcluster up     # start, or say it is already up
//	go run ./hack/localcluster down   # stop what up started, remove its state
//
// up prints the kubeconfig path. The binaries come from KUBECTL_STACK_BIN_DIR
// (hack/build-binaries.sh prints it). State lives in KUBECTL_STACK_STATE,
// default ~/.cache/kubectl-stack/cluster.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-stack/kubectl-stack/internal/controlplane"
)

func main() {
	if len(os.Args) != 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: localcluster up|down")
		os.Exit(2)
	}
	dir := stateDir()
	var err error
	if os.Args[1] == "up" {
		err = up(dir)
	} else {
		err = down(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func stateDir() string {
	if d := os.Getenv("KUBECTL_STACK_STATE"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kubectl-stack", "cluster")
}

func up(dir string) error {
	if pids := livePIDs(dir); len(pids) > 0 {
		fmt.Println(filepath.Join(dir, "kubeconfig"))
		return nil
	}
	binDir, err := controlplane.BinDir()
	if err != nil {
		return err
	}
	// Whatever an earlier run left (its processes are gone) is cleared first.
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cp, err := controlplane.Start(ctx, binDir, dir, controlplane.Options{Detach: true})
	if err != nil {
		return err
	}
	var lines []string
	for _, pid := range cp.PIDs() {
		lines = append(lines, strconv.Itoa(pid))
	}
	if err := os.WriteFile(filepath.Join(dir, "pids"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		cp.Stop()
		return err
	}
	fmt.Println(cp.Kubeconfig)
	return nil
}

func down(dir string) error {
	for _, pid := range livePIDs(dir) {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stopping pid %d: %w", pid, err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(livePIDs(dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, pid := range livePIDs(dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return os.RemoveAll(dir)
}

// livePIDs returns the recorded processes that still run one of our
// binaries, so a PID the system reused for something else is never touched.
func livePIDs(dir string) []int {
	data, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		exe := filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0])
		if exe == "etcd" || exe == "kube-apiserver" {
			pids = append(pids, pid)
		}
	}
	return pids
}
