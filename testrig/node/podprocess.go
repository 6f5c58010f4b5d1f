package node

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// PodProcess finds a process of a pod on this node: one named comm (any
// name, when empty) whose environment has the pod's name as HOSTNAME (the
// runtime sets it in every container) and its namespace as POD_NAMESPACE
// (the database's containers have it). Tests and benchmarks kill it (a
// lost node, seen from the others) or enter its network namespace.
func PodProcess(namespace, pod, comm string) (int, error) {
	procs, err := filepath.Glob("/proc/[0-9]*/comm")
	if err != nil {
		return 0, err
	}
	for _, path := range procs {
		name, err := os.ReadFile(path)
		if err != nil || comm != "" && strings.TrimSpace(string(name)) != comm {
			continue
		}
		environ, err := os.ReadFile(filepath.Join(filepath.Dir(path), "environ"))
		if err != nil {
			continue
		}
		vars := strings.Split(string(environ), "\x00")
		if slices.Contains(vars, "HOSTNAME="+pod) && slices.Contains(vars, "POD_NAMESPACE="+namespace) {
			return strconv.Atoi(filepath.Base(filepath.Dir(path)))
		}
	}
	return 0, fmt.Errorf("no process %q of pod %s/%s on this node", comm, namespace, pod)
}
