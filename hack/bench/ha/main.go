// Command ha measures the HA tier (hack/bench/overlay-ha, three Galera
// members) against the single server (hack/bench/overlay) on the same
// cluster, one after the other, with the same writers:
//   - commit throughput and latency p50/p99: N single-row commits in one
//     session through the mysql Service, each followed by the server's
//     clock, so the gaps between clocks are the commits' round trips;
//   - the longest pause in writes when a database pod is deleted, and when
//     its server is killed (SIGKILL from the node, as a node lost): a
//     writer commits a row per connection through the Service and logs
//     each commit's time (targets for the HA tier: 5 s and 30 s);
//   - the rows lost: every row the writer was told was committed is read
//     back afterwards, on every member (target 0).
//
// Run it through hack/bench/ha.sh, which brings the cluster up and removes it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl (default: $KUBECTL, else kubectl)")
	commits := flag.Int("commits", 2000, "commits of the throughput and latency rows")
	flag.Parse()
	b := &bench{kubeconfig: *kubeconfig, kubectl: *kubectl}
	err := b.run(*commits)
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type bench struct {
	kubeconfig, kubectl, plugin, dir string
}

// tier is what one overlay gave.
type tier struct {
	gaps            []time.Duration // between consecutive commits of one session
	podLoss, killed time.Duration   // the longest pause in writes
	lost, wrote     int
	members         []string
}

func (b *bench) run(commits int) error {
	var err error
	if b.dir, err = os.MkdirTemp("", "kubectl-stack-bench-ha-"); err != nil {
		return err
	}
	if b.plugin, err = kit.BuildPlugin(".", b.dir); err != nil {
		return err
	}
	single, err := b.measure(kit.Overlay, []string{stack.MySQLPod}, commits)
	if err != nil {
		return fmt.Errorf("the single server: %w", err)
	}
	var members []string
	for i := range stack.GaleraMembers {
		members = append(members, fmt.Sprintf("%s-%d", stack.Database.Name, i))
	}
	ha, err := b.measure(kit.OverlayHA, members, commits)
	if err != nil {
		return fmt.Errorf("the HA tier: %w", err)
	}
	return report(single, ha, commits)
}

// measure applies overlay, runs the writers and the faults (on the last of
// members: mysql-0 for a single server), and deletes the stack and its
// data again.
func (b *bench) measure(overlay string, members []string, commits int) (*tier, error) {
	if out, err := b.stack("apply", "-k", overlay, "--timeout=5m").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("applying %s: %v: %s", overlay, err, out)
	}
	defer b.remove()
	if err := b.apply(writersPolicy); err != nil {
		return nil, err
	}
	secret, err := b.kube("get", "secrets", "-o", "name")
	if err != nil {
		return nil, err
	}
	for _, s := range strings.Fields(secret) {
		if strings.HasPrefix(s, "secret/"+stack.MySQLSecret+"-") {
			secret = strings.TrimPrefix(s, "secret/")
		}
	}
	t := &tier{members: members}
	if err := b.apply(writerPod("bench-session", secret, sessionScript(commits))); err != nil {
		return nil, err
	}
	if err := b.waitDone("bench-session", 10*time.Minute); err != nil {
		return nil, err
	}
	logs, err := b.kube("logs", "bench-session")
	if err != nil {
		return nil, err
	}
	times := stamps(logs)
	for i := 1; i < len(times); i++ {
		t.gaps = append(t.gaps, times[i].Sub(times[i-1]))
	}
	deletePod := func(pod string) error {
		_, err := b.kube("delete", "pod", pod, "--wait=false")
		return err
	}
	if t.podLoss, err = b.pause(secret, "bench-pod-loss", deletePod, t); err != nil {
		return nil, err
	}
	if t.killed, err = b.pause(secret, "bench-kill", kill, t); err != nil {
		return nil, err
	}
	return t, nil
}

// pause runs a writer, applies the fault to the last member once it has
// committed, waits for every member to be Ready again and for 50 more
// commits, and returns the longest gap between two commits from the fault
// on; it adds what the writer was told was committed and is missing on a
// member to t.lost.
func (b *bench) pause(secret, name string, fault func(pod string) error, t *tier) (time.Duration, error) {
	if err := b.apply(writerPod(name, secret, writerScript(name))); err != nil {
		return 0, err
	}
	if err := b.waitCommits(name, 50); err != nil {
		return 0, err
	}
	victim := t.members[len(t.members)-1]
	before, err := b.incarnation(victim)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := fault(victim); err != nil {
		return 0, err
	}
	// The victim back (a new pod, or its container restarted) and every
	// member Ready.
	for {
		now, err := b.incarnation(victim)
		out, _ := b.kube("get", "pods", "-l", "app.kubernetes.io/name="+stack.Database.Name, "-o",
			`jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
		if err == nil && now != before && strings.Count(out, "True") == len(t.members) {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return 0, fmt.Errorf("%s: the members not Ready again within 5 minutes: %s", name, out)
		}
		time.Sleep(time.Second)
	}
	logs, _ := b.kube("logs", name)
	if err := b.waitCommits(name, len(stamps(logs))+50); err != nil {
		return 0, err
	}
	if _, err := b.kube("exec", name, "--", "touch", "/tmp/stop"); err != nil {
		return 0, err
	}
	if err := b.waitDone(name, 2*time.Minute); err != nil {
		return 0, err
	}
	logs, err = b.kube("logs", name)
	if err != nil {
		return 0, err
	}
	times := stamps(logs)
	longest := time.Duration(0)
	for i := 1; i < len(times); i++ {
		if times[i].After(start) && times[i].Sub(times[i-1]) > longest {
			longest = times[i].Sub(times[i-1])
		}
	}
	committed := len(times)
	t.wrote += committed
	for _, m := range t.members {
		out, err := b.sqlOn(m, fmt.Sprintf("SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM %s WHERE n <= %d", strings.ReplaceAll(name, "-", "_"), committed))
		if err != nil {
			return 0, err
		}
		n, _ := strconv.Atoi(strings.TrimSpace(out))
		t.lost += committed - n
	}
	return longest, nil
}

// remove deletes the stack with its data, and waits until its namespace
// is gone, so the next tier can be applied into a new one.
func (b *bench) remove() {
	_ = b.stack("delete", "--purge-data", "--yes").Run()
	for start := time.Now(); time.Since(start) < 3*time.Minute; time.Sleep(time.Second) {
		if _, err := b.kube("get", "namespace", stack.Namespace); err != nil {
			return
		}
	}
}

// incarnation names a pod's current run: its UID and its database
// container's restarts.
func (b *bench) incarnation(pod string) (string, error) {
	return b.kube("get", "pod", pod, "-o", `jsonpath={.metadata.uid}/{.status.containerStatuses[?(@.name=="mysql")].restartCount}`)
}

// waitDone waits until a writer pod ended, and fails with its log when it
// failed.
func (b *bench) waitDone(pod string, limit time.Duration) error {
	for start := time.Now(); time.Since(start) < limit; time.Sleep(time.Second) {
		phase, err := b.kube("get", "pod", pod, "-o", "jsonpath={.status.phase}")
		switch {
		case err != nil:
			return err
		case phase == "Succeeded":
			return nil
		case phase == "Failed":
			logs, _ := b.kube("logs", pod)
			return fmt.Errorf("%s failed: %s", pod, logs)
		}
	}
	return fmt.Errorf("%s did not end within %s", pod, limit)
}

func (b *bench) waitCommits(pod string, n int) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		logs, _ := b.kube("logs", pod)
		if len(stamps(logs)) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: fewer than %d commits in 5 minutes:\n%s", pod, n, logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// kill SIGKILLs the server of a member's pod from the node.
func kill(pod string) error {
	pid, err := node.PodProcess(stack.Namespace, pod, "mariadbd")
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

// stamps reads the "committed N MILLIS" lines (the writer) or bare
// seconds.micros lines (the session), in order.
func stamps(logs string) []time.Time {
	var out []time.Time
	for _, line := range strings.Split(logs, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "committed":
			if ms, err := strconv.ParseInt(f[2], 10, 64); err == nil {
				out = append(out, time.UnixMilli(ms))
			}
		case len(f) == 1 && strings.Contains(f[0], "."):
			if s, err := strconv.ParseFloat(f[0], 64); err == nil {
				out = append(out, time.UnixMicro(int64(s*1e6)))
			}
		}
	}
	return out
}

func (b *bench) stack(args ...string) *exec.Cmd {
	return exec.Command(b.plugin, append([]string{"--kubeconfig", b.kubeconfig}, args...)...)
}

func (b *bench) kube(args ...string) (string, error) {
	out, err := exec.Command(b.kubectl, append([]string{"--kubeconfig", b.kubeconfig, "-n", stack.Namespace}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (b *bench) apply(manifest string) error {
	cmd := exec.Command(b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl apply: %v: %s", err, out)
	}
	return nil
}

func (b *bench) sqlOn(pod, statement string) (string, error) {
	return b.kube("exec", pod, "-c", stack.MySQLContainer, "--", "sh", "-c",
		`MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -N -B "$MYSQL_DATABASE" -e "$0"`, statement)
}
