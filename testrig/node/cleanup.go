package node

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// podCgroup is the cgroup kubelet (cgroupfs driver) puts every pod in.
const podCgroup = "kubepods"

// Cleanup removes what a node with state in dir created: the pods'
// processes, the containerd shims serving its socket, mounts under dir, the
// pods' network namespaces, the bridge, firewall chains and ipsets, and the
// sysctls it changed; then dir itself. It works after a crash as after a
// clean stop, and on a machine where nothing is left it does nothing. The
// node's own programs are stopped by PID before this runs. Everything else
// in also (the cluster's folder) goes too.
func Cleanup(dir string, also ...string) error {
	var errs []error
	killPods()
	killShims(filepath.Join(dir, "containerd", "containerd.sock"))
	errs = append(errs, unmountUnder(dir)...)
	errs = append(errs, deleteNetns()...)
	if _, err := os.Stat("/sys/class/net/" + Bridge); err == nil {
		if out, err := exec.Command("ip", "link", "delete", Bridge).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %v: %s", Bridge, err, out))
		}
	}
	removeBlackhole()
	errs = append(errs, cleanFirewall()...)
	errs = append(errs, cleanIPSets()...)
	restoreSysctls(dir)
	removeCgroups()
	for _, d := range append([]string{dir}, also...) {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cgroupRoots are the pod cgroup's folders in each cgroup v1 hierarchy.
func cgroupRoots() []string {
	roots, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", podCgroup))
	return roots
}

// killPods kills every process in the pods' cgroup: only pods of this node
// run there.
func killPods() {
	for round := 0; round < 20; round++ {
		pids := podPIDs()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func podPIDs() []int {
	seen := map[int]bool{}
	for _, root := range cgroupRoots() {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.Name() != "cgroup.procs" {
				return nil
			}
			data, _ := os.ReadFile(path)
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					seen[pid] = true
				}
			}
			return nil
		})
	}
	pids := make([]int, 0, len(seen))
	for pid := range seen {
		pids = append(pids, pid)
	}
	return pids
}

// removeCgroups removes the emptied pod cgroups, deepest first.
func removeCgroups() {
	for _, root := range cgroupRoots() {
		var dirs []string
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
		for _, d := range dirs {
			_ = syscall.Rmdir(d)
		}
	}
}

// killShims stops the containerd shims that served this node's socket.
func killShims(socket string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if !strings.HasSuffix(args[0], "containerd-shim-runc-v2") || !strings.Contains(string(data), socket) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// unmountUnder unmounts every mount point below dir, deepest first.
func unmountUnder(dir string) []error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []error{err}
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			points = append(points, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", p, err))
		}
	}
	return errs
}

// deleteNetns removes the network namespaces the CNI plugins made for pods
// (containerd names them cni-*); no other runtime runs on a machine that
// uses the local node.
func deleteNetns() []error {
	names, _ := filepath.Glob("/run/netns/cni-*")
	var errs []error
	for _, p := range names {
		if out, err := exec.Command("ip", "netns", "delete", filepath.Base(p)).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns delete %s: %v: %s", filepath.Base(p), err, out))
		}
	}
	return errs
}
