package node

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// guardChain holds the rule that keeps pod traffic on this machine.
const guardChain = "KSTACK-GUARD"

// sysctls the node needs: routing between the bridge and the host, and
// bridged traffic through iptables so Services and NetworkPolicies apply to
// pods on the same bridge.
var sysctls = map[string]string{
	"/proc/sys/net/ipv4/ip_forward":                 "1",
	"/proc/sys/net/bridge/bridge-nf-call-iptables":  "1",
	"/proc/sys/net/bridge/bridge-nf-call-ip6tables": "1",
}

// setSysctls sets them, first recording the old values so Cleanup can put
// them back.
func setSysctls(dir string) error {
	var saved []string
	for path, value := range sysctls {
		old, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		saved = append(saved, path+"="+strings.TrimSpace(string(old)))
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return fmt.Errorf("setting %s: %w", path, err)
		}
	}
	return os.WriteFile(filepath.Join(dir, "sysctl.saved"), []byte(strings.Join(saved, "\n")+"\n"), 0o600)
}

// guardEgress drops any forwarded packet from a pod to an address outside
// the cluster's pod range: pods may talk to each other, to Services (already
// translated to pod addresses when FORWARD sees them) and to this machine
// (INPUT, not FORWARD), and to nothing else. Pod-to-pod traffic that no
// rule before it decided is accepted last, after kube-router's policies:
// a running Docker daemon sets FORWARD's policy to DROP.
func guardEgress() error {
	cmds := [][]string{
		{"-N", guardChain},
		{"-A", guardChain, "-s", ClusterCIDR, "!", "-d", ClusterCIDR, "-j", "DROP"},
		{"-I", "FORWARD", "1", "-j", guardChain},
		{"-A", "FORWARD", "-s", ClusterCIDR, "-d", ClusterCIDR, "-m", "comment", "--comment", guardChain, "-j", "ACCEPT"},
	}
	for _, args := range cmds {
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// ourChain tells the iptables chains the node's components create: kube-proxy
// (KUBE-), kube-router (KUBE-ROUTER-, KUBE-POD-FW-, KUBE-NWPLCY-), the CNI
// plugins (CNI-) and the guard.
func ourChain(line string) bool {
	for _, p := range []string{"KUBE-", "CNI-", "KSTACK-"} {
		if strings.Contains(line, p) {
			return true
		}
	}
	return false
}

// cleanFirewall removes every rule and chain the node created, leaving any
// other rule of the machine as it was.
func cleanFirewall() []error {
	var errs []error
	for _, tool := range []string{"iptables", "ip6tables"} {
		saved, err := exec.Command(tool + "-save").Output()
		if err != nil {
			continue // that family is not in use here
		}
		var kept bytes.Buffer
		changed := false
		for _, line := range strings.SplitAfter(string(saved), "\n") {
			if ourChain(line) {
				changed = true
				continue
			}
			kept.WriteString(line)
		}
		if !changed {
			continue
		}
		restore := exec.Command(tool + "-restore")
		restore.Stdin = &kept
		if out, err := restore.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s-restore: %v: %s", tool, err, bytes.TrimSpace(out)))
		}
	}
	return errs
}

// cleanIPSets destroys kube-router's ipsets, once no rule refers to them.
func cleanIPSets() []error {
	out, err := exec.Command("ipset", "list", "-n").Output()
	if err != nil {
		return nil
	}
	var errs []error
	for _, name := range strings.Fields(string(out)) {
		if !strings.HasPrefix(name, "KUBE-") && !strings.HasPrefix(name, "inet6:KUBE-") {
			continue
		}
		if out, err := exec.Command("ipset", "destroy", name).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ipset destroy %s: %v: %s", name, err, bytes.TrimSpace(out)))
		}
	}
	return errs
}

// restoreSysctls puts back the values setSysctls recorded.
func restoreSysctls(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "sysctl.saved"))
	if err != nil {
		return
	}
	for _, line := range strings.Fields(string(data)) {
		path, value, ok := strings.Cut(line, "=")
		if ok {
			_ = os.WriteFile(path, []byte(value), 0o644)
		}
	}
}

// BlackholeSimulated routes the simulated nodes' addresses nowhere: the API
// server dials pod addresses for proxy requests, and those must not leave
// this machine through its default route.
func BlackholeSimulated() error {
	out, err := exec.Command("ip", "route", "replace", "blackhole", SimulatedCIDR).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip route replace blackhole %s: %v: %s", SimulatedCIDR, err, bytes.TrimSpace(out))
	}
	return nil
}

// removeBlackhole removes the route BlackholeSimulated added, if it is there.
func removeBlackhole() {
	_ = exec.Command("ip", "route", "del", "blackhole", SimulatedCIDR).Run()
}
