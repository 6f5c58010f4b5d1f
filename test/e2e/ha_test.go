//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
	"github.com/kubectl-stack/kubectl-stack/testrig/steps"
)

// The HA tier's stack: its own namespace and NodePort, beside any other.
const (
	haNamespace = "ha"
	haPort      = 30083
)

// The HA tier on the local node (overlays/dev-ha: three members on one
// node). During each fault a writer commits numbered rows through the
// mysql Service; afterwards every row it was told was committed is on
// every member, and the members' tables are the same.
func TestDevHA(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			haLogs(t)
		}
	})
	steps.Run(t, []steps.Step{
		{Name: "init --from dev-ha applied in its own namespace: three members Synced in one cluster", Fn: applyDevHA},
		{Name: "status shows each member Synced in a cluster of three, and warns of one that is gone", Fn: haStatus},
		{Name: "netcheck --live proves Galera's ports open between members and closed to the web tier; logs and report cover every member", Fn: haNetcheckLogsReport},
		{Name: "backup, then restore after the databases were dropped through another member: every member's tables as before", Fn: haBackupRestore},
		{Name: "while mysql-0 is desynced, backup and the mysql shell reach a Synced member; backup verify restores into a throwaway cluster of one", Fn: haBackupFromSynced},
		{Name: "the archiver follows mysql-0, takes up mysql-1 at the same GTID when mysql-0 is cut off from it; restore --to-time replays across the switch", Fn: haArchiverSwitch},
		{Name: "a member's pod deleted under writes: it rejoins, nothing lost", Fn: haPodDeleted},
		{Name: "restart database rolls the members one at a time under writes: none refused, nothing lost", Fn: haRollingRestart},
		{Name: "a member's server killed as with its node: it rejoins, nothing lost", Fn: haMemberKilled},
		{Name: "a member cut off from the other two: it refuses a write, the majority takes them, it rejoins, nothing lost", Fn: haPartition},
		{Name: "every member stopped, then started: the most advanced bootstraps, nothing lost", Fn: haFullStop},
		{Name: "every server killed at once while one member cannot reach the others: all wait, status names recover, recover restarts the cluster from the most advanced, the cut-off member joins once it can", Fn: haRecover},
		{Name: "a member's data folder wiped: it rejoins by a full copy, nothing lost", Fn: haVolumeWiped},
		{Name: "delete --purge-data removes the HA stack with its three volumes", Fn: haDelete},
	})
}

// haLogs prints each member's pods, the lines of its logs that say what
// went wrong (the crashed run's too: a backtrace ends them) and the data
// disk's room: the suite's diagnosis covers the dev stack's namespace only.
func haLogs(t *testing.T) {
	r := kubectl(t, time.Minute, "-n", haNamespace, "get", "pods,events", "-o", "wide")
	t.Logf("pods and events of %s:\n%s%s", haNamespace, r.stdout, r.stderr)
	for i := range stack.GaleraMembers {
		for _, previous := range []string{"--previous=false", "--previous=true"} {
			r := kubectl(t, time.Minute, "-n", haNamespace, "logs", member(i), "-c", stack.MySQLContainer, previous)
			t.Logf("%s %s:\n%s%s", member(i), previous, tail(diagnosis(r.stdout), 60), r.stderr)
		}
	}
	df, err := exec.Command("df", "-h", dataRoot).CombinedOutput()
	t.Logf("the data disk: %s%v", df, err)
}

// diagnosis keeps a member's log lines that say why it failed: start.sh's
// own, errors and warnings, and the state transfer's.
func diagnosis(logs string) string {
	var keep []string
	for _, line := range strings.Split(logs, "\n") {
		for _, sign := range []string{"galera:", "[ERROR]", "[Warning]", "SST", "IST", "No space", "rror"} {
			if strings.Contains(line, sign) {
				keep = append(keep, line)
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}

func member(i int) string { return fmt.Sprintf("%s-%d", stack.Database.Name, i) }

func applyDevHA(t *testing.T) {
	applyInit(t, "dev-ha", haNamespace, haPort)
	haSynced(t)
}

// haSynced checks that every member is Synced in one primary cluster of
// all of them.
func haSynced(t *testing.T) {
	t.Helper()
	for i := range stack.GaleraMembers {
		got := strings.Fields(memberSQL(t, member(i), "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state_comment') ORDER BY VARIABLE_NAME"))
		want := []string{strconv.Itoa(stack.GaleraMembers), "Primary", "Synced"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: cluster size, status, state %v, want %v", member(i), got, want)
		}
	}
}

// memberSQL runs statement as root in the stack's database on one member.
func memberSQL(t *testing.T, pod, statement string) string {
	t.Helper()
	return sqlOn(t, haNamespace, pod, `"$MYSQL_DATABASE"`, statement)
}

func haStatus(t *testing.T) {
	var rep struct {
		Members []struct {
			Pod         string `json:"pod"`
			State       string `json:"state"`
			Primary     bool   `json:"primary"`
			ClusterSize int    `json:"clusterSize"`
		} `json:"galeraMembers"`
		Claims  []struct{ Bound bool } `json:"storage"`
		Healthy bool                   `json:"healthy"`
	}
	out := mustKubectl(t, time.Minute, "stack", "status", "-n", haNamespace, "-o", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Members) != stack.GaleraMembers || len(rep.Claims) != stack.GaleraMembers || !rep.Healthy {
		t.Fatalf("status: %d members, %d claims, healthy %v, want %d, %d, true:\n%s", len(rep.Members), len(rep.Claims), rep.Healthy, stack.GaleraMembers, stack.GaleraMembers, out)
	}
	for i, m := range rep.Members {
		if m.Pod != member(i) || m.State != "Synced" || !m.Primary || m.ClusterSize != stack.GaleraMembers {
			t.Errorf("status of %s: %+v", member(i), m)
		}
	}
	// One member scaled away: status says the cluster is below its size,
	// and exits 1 (not healthy).
	scaleMembers(t, stack.GaleraMembers-1)
	r := kubectl(t, time.Minute, "stack", "status", "-n", haNamespace)
	want := fmt.Sprintf("member:    %s Synced, cluster of %d, primary", member(0), stack.GaleraMembers-1)
	short := fmt.Sprintf("database: %d of %d members Synced in the primary component", stack.GaleraMembers-1, stack.GaleraMembers)
	if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, short) {
		t.Errorf("status with a member gone: exit %d, want 1, %q and %q:\n%s%s", r.code, want, short, r.stdout, r.stderr)
	}
	scaleMembers(t, stack.GaleraMembers)
}

func haNetcheckLogsReport(t *testing.T) {
	checks, r := netcheckRun(t, "-n", haNamespace, "--live")
	if r.code != 0 {
		t.Fatalf("netcheck --live on the HA stack: exit %d\n%s", r.code, r.stderr)
	}
	for _, port := range stack.GaleraPorts {
		member, web := checks[fmt.Sprintf("mysql member -> another member:%d", port)], checks[fmt.Sprintf("web -> mysql:%d", port)]
		if !member.Want || !member.Verdict.Allowed || web.Want || web.Verdict.Allowed || member.Live == nil || web.Live == nil {
			t.Fatalf("port %d: member -> member %+v, web -> member %+v", port, member, web)
		}
		if web.Live.Allowed() || web.Live.Skipped != "" {
			t.Errorf("web -> mysql:%d: live %+v, want no connection", port, web.Live)
		}
		// A member connects (on IST and SST, which listen only during a
		// transfer, netcheck listens for the moment), and so the web
		// tier's refusal is proven a rejection.
		if !member.Live.Allowed() || web.Live.Inconclusive() {
			t.Errorf("port %d: live member -> member %+v, web -> member %+v: want connected and rejected", port, member.Live, web.Live)
		}
	}
	logs := mustKubectl(t, time.Minute, "stack", "logs", "database", "-n", haNamespace)
	for i := range stack.GaleraMembers {
		if !strings.Contains(logs, member(i)) {
			t.Errorf("logs database has no line of %s:\n%s", member(i), tail(logs, 20))
		}
	}
	file := filepath.Join(t.TempDir(), "report.zip")
	mustKubectl(t, 2*time.Minute, "stack", "report", file, "-n", haNamespace)
	status := unzip(t, file)["status.yaml"]
	if strings.Count(status, "state: Synced") != stack.GaleraMembers || !strings.Contains(status, "galeraMembers:") {
		t.Errorf("the report's status.yaml does not show the %d members Synced:\n%s", stack.GaleraMembers, status)
	}
}

func haBackupRestore(t *testing.T) {
	memberSQL(t, member(0), seedSQL)
	before := memberSQL(t, member(0), checksumSQL)
	file := filepath.Join(t.TempDir(), "ha.sql.gz")
	mustKubectl(t, 5*time.Minute, "stack", "backup", file, "-n", haNamespace)
	memberSQL(t, member(1), "DROP DATABASE shop; DROP DATABASE ledger")
	out := mustKubectl(t, 5*time.Minute, "stack", "restore", file, "-n", haNamespace, "--yes")
	t.Logf("restore:\n%s", out)
	for i := range stack.GaleraMembers {
		if after := memberSQL(t, member(i), "SET SESSION wsrep_sync_wait = 1; "+checksumSQL); after != before {
			t.Errorf("%s after the restore:\n%s\nbefore:\n%s", member(i), after, before)
		}
	}
}

// haBackupFromSynced desyncs the first member (Galera's own switch: it
// stays in the cluster, its readiness probe fails), so the backup must
// choose another; the restore test then runs the member's spec alone.
func haBackupFromSynced(t *testing.T) {
	memberSQL(t, member(0), "SET GLOBAL wsrep_desync = ON")
	resync := func() { memberSQL(t, member(0), "SET GLOBAL wsrep_desync = OFF") }
	t.Cleanup(resync)
	ctx := context.Background()
	waitForWithin(t, 2*time.Minute, member(0)+" not Ready while desynced", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(0), metav1.GetOptions{})
		return err == nil && !podReady(p)
	})
	dir := t.TempDir()
	var m backup.Manifest
	out := mustKubectl(t, 5*time.Minute, "stack", "backup", "--to", dir, "-n", haNamespace, "-o", "json")
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("backup -o json: %v\n%s", err, out)
	}
	if m.Server.Pod != member(1) || m.Server.Flavour != "MariaDB" {
		t.Errorf("the backup came from %s (%s), want %s (MariaDB), the first Synced member", m.Server.Pod, m.Server.Flavour, member(1))
	}
	if host := mustKubectl(t, time.Minute, "stack", "mysql", "-n", haNamespace, "--", "--batch", "--skip-column-names", "-e", "SELECT @@hostname"); strings.TrimSpace(host) != member(1) {
		t.Errorf("kubectl stack mysql ran in %q, want %s", host, member(1))
	}
	resync()
	waitForWithin(t, 2*time.Minute, member(0)+" Ready again", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(0), metav1.GetOptions{})
		return err == nil && podReady(p)
	})
	r := kubectl(t, 10*time.Minute, "stack", "backup", "verify", m.ID, "--from", dir, "-n", haNamespace)
	if r.code != 0 || !strings.Contains(r.stdout, "passed") {
		t.Errorf("backup verify of the HA tier's backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func haRollingRestart(t *testing.T) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	r := kubectl(t, 10*time.Minute, "stack", "restart", "database", "-n", haNamespace, "--yes", "--timeout=9m")
	if r.code != 0 || !strings.Contains(r.stderr, "one at a time") {
		t.Fatalf("restart database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if refused := w.finish(t); refused != 0 {
		t.Errorf("%d writes refused during the rolling restart", refused)
	}
}

func haPodDeleted(t *testing.T) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	ctx := context.Background()
	old, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(1), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.client.CoreV1().Pods(haNamespace).Delete(ctx, member(1), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, member(1)+" replaced and Ready", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(1), metav1.GetOptions{})
		return err == nil && p.UID != old.UID && podReady(p)
	})
	w.finish(t)
}

// haMemberKilled kills a member's server with SIGKILL from the node, as a
// node that loses power does: no goodbye to the others, seqno -1 on disk.
func haMemberKilled(t *testing.T) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	ctx := context.Background()
	before := restarts(t, member(2))
	pid := podPID(t, member(2), "mariadbd")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing %s's server (pid %d): %v", member(2), pid, err)
	}
	waitForWithin(t, 5*time.Minute, member(2)+" restarted and Ready", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(2), metav1.GetOptions{})
		return err == nil && podReady(p) && restartsOf(p) > before
	})
	// Its seqno on disk was -1: start.sh recovered the position from
	// InnoDB, so it caught up by IST, not by a full copy.
	logs := mustKubectl(t, time.Minute, "-n", haNamespace, "logs", member(2), "-c", stack.MySQLContainer)
	if !strings.Contains(logs, "Receiving IST") {
		t.Errorf("%s did not catch up by IST:\n%s", member(2), tail(logs, 30))
	}
	w.finish(t)
}

// haPartition cuts one member off from the others' Galera ports with
// iptables in its network namespace (both ways), as a broken link would.
func haPartition(t *testing.T) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	cut := member(stack.GaleraMembers - 1)
	pid := podPID(t, cut, "mariadbd")
	var rules [][]string
	for _, port := range []int{stack.GaleraGroupPort, stack.GaleraISTPort, stack.GaleraSSTPort} {
		p := strconv.Itoa(port)
		rules = append(rules, []string{"INPUT", "--dport", p}, []string{"OUTPUT", "--dport", p})
	}
	for _, r := range rules {
		inNetns(t, pid, "-I", r...)
	}
	healed := false
	heal := func() {
		if !healed {
			healed = true
			for _, r := range rules {
				inNetns(t, pid, "-D", r...)
			}
		}
	}
	t.Cleanup(heal)
	ctx := context.Background()
	waitForWithin(t, 2*time.Minute, cut+" out of the Service (not Ready: outside the primary component)", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, cut, metav1.GetOptions{})
		return err == nil && !podReady(p)
	})
	// A write on the minority side is refused, not taken and lost.
	r := kubectl(t, time.Minute, "-n", haNamespace, "exec", cut, "-c", stack.MySQLContainer, "--", "sh", "-c",
		`MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mariadb --user=root "$MYSQL_DATABASE" -e "INSERT INTO `+w.table+` VALUES (-1, NOW(6))"`)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "1047") {
		t.Errorf("a write on the cut-off member: exit %d, want ERROR 1047:\n%s%s", r.code, r.stdout, r.stderr)
	}
	w.waitCommitted(t, w.committed(t)+20)
	heal()
	waitForWithin(t, 3*time.Minute, cut+" Ready again", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, cut, metav1.GetOptions{})
		return err == nil && podReady(p)
	})
	w.finish(t)
	if got := strings.TrimSpace(memberSQL(t, member(0), "SELECT COUNT(*) FROM "+w.table+" WHERE n = -1")); got != "0" {
		t.Errorf("the write refused on the cut-off member is in the table (%s rows)", got)
	}
}

func haFullStop(t *testing.T) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	scaleMembers(t, 0)
	scaleMembers(t, stack.GaleraMembers)
	bootstrapped := 0
	for i := range stack.GaleraMembers {
		logs := mustKubectl(t, time.Minute, "-n", haNamespace, "logs", member(i), "-c", stack.MySQLContainer)
		if strings.Contains(logs, "bootstrap: starting mariadbd --wsrep-new-cluster") {
			bootstrapped++
		}
	}
	if bootstrapped != 1 {
		t.Errorf("%d members bootstrapped the cluster, want 1", bootstrapped)
	}
	w.finish(t)
}

func haRecover(t *testing.T) {
	memberSQL(t, member(0), "CREATE TABLE IF NOT EXISTS ha_marker (id INT PRIMARY KEY); INSERT IGNORE INTO ha_marker VALUES (1)")
	cut := member(stack.GaleraMembers - 1)
	pid := podPID(t, cut, "mariadbd")
	statePort := strconv.Itoa(stack.GaleraStatePort)
	rules := [][]string{{"INPUT", "--dport", statePort}, {"OUTPUT", "--dport", statePort}}
	for _, r := range rules {
		inNetns(t, pid, "-I", r...)
	}
	unblocked := false
	unblock := func() {
		if unblocked {
			return
		}
		unblocked = true
		p := podPID(t, cut, "")
		for _, r := range rules {
			inNetns(t, p, "-D", r...)
		}
	}
	t.Cleanup(unblock)
	for i := range stack.GaleraMembers {
		if err := syscall.Kill(podPID(t, member(i), "mariadbd"), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	waitForWithin(t, 3*time.Minute, "every member waiting, status naming kubectl stack recover", func() bool {
		r := kubectl(t, time.Minute, "stack", "status", "-n", haNamespace)
		return r.code == 1 && strings.Count(r.stdout, " waiting (seqno ") == stack.GaleraMembers &&
			strings.Contains(r.stdout, "warning:   database: members wait for a choice they cannot make safely alone (see their lines): kubectl stack recover")
	})
	r := kubectl(t, 6*time.Minute, "stack", "recover", "-n", haNamespace, "--yes", "--timeout=5m")
	want := fmt.Sprintf("the database cluster runs again from %s: %d of %d members Synced", member(0), stack.GaleraMembers-1, stack.GaleraMembers)
	if r.code != 0 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stderr, "warning: "+cut+" is not Synced yet") {
		t.Fatalf("recover: exit %d, want 0, %q and a warning for %s\n%s%s", r.code, want, cut, r.stdout, r.stderr)
	}
	unblock()
	waitForWithin(t, 5*time.Minute, cut+" Ready again", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(context.Background(), cut, metav1.GetOptions{})
		return err == nil && podReady(p)
	})
	haSynced(t)
	for i := range stack.GaleraMembers {
		if got := strings.TrimSpace(memberSQL(t, member(i), "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM ha_marker")); got != "1" {
			t.Errorf("%s holds %s marker rows, want 1", member(i), got)
		}
	}
}

// inNetns runs iptables in the network namespace of process pid (a
// member's pod): op is -I or -D, rule a chain and its match; the rule
// rejects TCP.
func inNetns(t *testing.T, pid int, op string, rule ...string) {
	t.Helper()
	args := append([]string{"-t", strconv.Itoa(pid), "-n", "iptables", op, rule[0], "-p", "tcp"}, rule[1:]...)
	args = append(args, "-j", "REJECT")
	if out, err := exec.Command("nsenter", args...).CombinedOutput(); err != nil {
		t.Fatalf("nsenter %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// haVolumeWiped removes the last member (a StatefulSet scales down from the
// top), empties its data folder on the node, and brings it back: it has
// nothing, so it takes a full copy from a donor.
func haVolumeWiped(t *testing.T) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	last := member(stack.GaleraMembers - 1)
	scaleMembers(t, stack.GaleraMembers-1)
	folder := filepath.Join(dataDir, haNamespace+"."+last)
	if _, err := os.Stat(filepath.Join(folder, "grastate.dat")); err != nil {
		t.Fatalf("%s's data folder is not where the test wipes it: %v", last, err)
	}
	if err := os.RemoveAll(folder); err != nil {
		t.Fatal(err)
	}
	scaleMembers(t, stack.GaleraMembers)
	logs := mustKubectl(t, time.Minute, "-n", haNamespace, "logs", last, "-c", stack.MySQLContainer)
	if !strings.Contains(logs, last+" holds none") {
		t.Errorf("%s did not start empty:\n%s", last, tail(logs, 30))
	}
	w.finish(t)
}

func haDelete(t *testing.T) {
	deleteHAStack(t)
	for i := range stack.GaleraMembers {
		if err := os.RemoveAll(filepath.Join(dataDir, haNamespace+"."+member(i))); err != nil {
			t.Error(err)
		}
	}
}

// scaleMembers sets the StatefulSet's replicas and waits for that many
// Ready members, and none beyond them.
func scaleMembers(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	sts := env.client.AppsV1().StatefulSets(haNamespace)
	scale, err := sts.GetScale(ctx, stack.Database.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = int32(n)
	if _, err := sts.UpdateScale(ctx, stack.Database.Name, scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForWithin(t, 5*time.Minute, fmt.Sprintf("%d Ready members", n), func() bool {
		list, err := env.client.CoreV1().Pods(haNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + stack.Database.Name})
		if err != nil || len(list.Items) != n {
			return false
		}
		for i := range list.Items {
			if !podReady(&list.Items[i]) {
				return false
			}
		}
		return true
	})
}

func restarts(t *testing.T, pod string) int32 {
	t.Helper()
	p, err := env.client.CoreV1().Pods(haNamespace).Get(context.Background(), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return restartsOf(p)
}

func restartsOf(p *corev1.Pod) int32 {
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == stack.MySQLContainer {
			return c.RestartCount
		}
	}
	return 0
}

// podPID finds a node process of a member's pod, named comm (any when
// empty).
func podPID(t *testing.T, pod, comm string) int {
	t.Helper()
	pid, err := node.PodProcess(haNamespace, pod, comm)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
