// Command runc-wrapper is a Docker runtime for machines whose capability
// bounding set lacks CAP_SYS_RESOURCE (some VMs and sandboxes). kind runs its
// nodes privileged, and a privileged container asks runc for every
// capability, which the kernel refuses there ("unable to apply caps:
// operation not permitted"). Before runc creates a container, this removes
// the capabilities the machine cannot grant from the bundle's config.json,
// and before runc execs a process in one (docker exec --privileged) from the
// process's JSON; then it runs runc with the arguments it was given.
//
// hack/kind/docker-up.sh registers it with dockerd (--add-runtime,
// --default-runtime) only where a privileged container fails without it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// runc is Debian's, the one dockerd runs by default.
const runc = "/usr/sbin/runc"

func main() {
	if file, isSpec, ok := specFile(os.Args[1:]); ok {
		if err := dropUngrantable(file, isSpec); err != nil {
			fmt.Fprintf(os.Stderr, "runc-wrapper: %v\n", err)
			os.Exit(1)
		}
	}
	args := append([]string{runc}, os.Args[1:]...)
	err := syscall.Exec(runc, args, os.Environ())
	fmt.Fprintf(os.Stderr, "runc-wrapper: exec %s: %v\n", runc, err)
	os.Exit(1)
}

// specFile returns the file that holds the capabilities runc is about to
// apply: the bundle's config.json of a `runc create` or `runc run` (isSpec),
// or the process file of a `runc exec --process FILE`.
func specFile(args []string) (file string, isSpec, ok bool) {
	verb, bundle, process := "", ".", ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case verb == "" && (a == "create" || a == "run" || a == "exec"):
			verb = a
		case (a == "--bundle" || a == "-b") && i+1 < len(args):
			bundle = args[i+1]
			i++
		case strings.HasPrefix(a, "--bundle="):
			bundle = strings.TrimPrefix(a, "--bundle=")
		case (a == "--process" || a == "-p") && verb == "exec" && i+1 < len(args):
			process = args[i+1]
			i++
		case strings.HasPrefix(a, "--process="):
			process = strings.TrimPrefix(a, "--process=")
		}
	}
	switch {
	case verb == "create" || verb == "run":
		return filepath.Join(bundle, "config.json"), true, true
	case verb == "exec" && process != "":
		return process, false, true
	}
	return "", false, false
}

// dropUngrantable removes from every capability set of the process the
// capabilities missing from this process's own bounding set.
func dropUngrantable(config string, isSpec bool) error {
	data, err := os.ReadFile(config)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", config, err)
	}
	process := spec
	if isSpec {
		process, _ = spec["process"].(map[string]any)
	}
	caps, _ := process["capabilities"].(map[string]any)
	if caps == nil {
		return nil
	}
	missing, err := missingFromBoundingSet()
	if err != nil {
		return err
	}
	for set, v := range caps {
		list, _ := v.([]any)
		caps[set] = slices.DeleteFunc(list, func(c any) bool {
			name, _ := c.(string)
			return slices.Contains(missing, name)
		})
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(config, out, 0o600)
}

// capabilityNames are the capabilities a privileged container asks for that
// a restricted VM may lack, by number (linux/capability.h).
var capabilityNames = map[int]string{24: "CAP_SYS_RESOURCE", 21: "CAP_SYS_ADMIN", 38: "CAP_PERFMON", 39: "CAP_BPF", 40: "CAP_CHECKPOINT_RESTORE"}

func missingFromBoundingSet() ([]string, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		hex, ok := strings.CutPrefix(line, "CapBnd:")
		if !ok {
			continue
		}
		bnd, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("CapBnd %q: %w", hex, err)
		}
		var missing []string
		for bit, name := range capabilityNames {
			if bnd&(1<<bit) == 0 {
				missing = append(missing, name)
			}
		}
		return missing, nil
	}
	return nil, fmt.Errorf("/proc/self/status has no CapBnd line")
}
