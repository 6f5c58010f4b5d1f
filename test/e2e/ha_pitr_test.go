//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// haLocation is where the HA tier's point-in-time step keeps its backup
// and the archived binary logs.
const haLocation = "s3://" + bucket + "/ha"

// haArchiverSwitch runs the archiver on the HA tier, pointed at the three
// members by name; mysql-0 is cut off from it (3306 rejected in mysql-0's
// network namespace, the cluster untouched), and it takes up mysql-1's
// binary logs at the same GTID. A restore to a time after the switch
// replays across it: the rows up to the target are back on every member,
// the one after it is not, and the transactions archived from both
// members are applied once (the second copies left out, and said so).
func haArchiverSwitch(t *testing.T) {
	startHAArchiver(t)
	memberSQL(t, member(1), "CREATE TABLE pitr (id INT PRIMARY KEY, note VARCHAR(32))")
	mustStackS3(t, "backup", "--to", haLocation, "-n", haNamespace)
	if r := kubectlEnv(t, 10*time.Minute, offsite.env, "stack", "backup", "verify", "--from", haLocation, "-n", haNamespace); r.code != 0 || !strings.Contains(r.stdout, "passed") {
		t.Fatalf("the backup's restore test: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	memberSQL(t, member(1), "INSERT INTO pitr VALUES (1, 'before the switch')")
	waitArchivedFrom(t, member(0), "row 1")

	heal := cutOff(t, member(0), stack.MySQLPort)
	memberSQL(t, member(1), "INSERT INTO pitr VALUES (2, 'after the switch')")
	target := memberNow(t, member(1)).Add(time.Second)
	waitFor(t, "the server's clock to pass "+target.Format(time.RFC3339), func() bool { return memberNow(t, member(1)).After(target) })
	memberSQL(t, member(1), "INSERT INTO pitr VALUES (3, 'after the target')")
	waitArchivedFrom(t, member(1), "row 3")
	heal()
	logs := mustKubectl(t, time.Minute, "-n", haNamespace, "logs", "deployment/"+stack.BinlogArchiver.Name)
	if !strings.Contains(logs, "following "+memberAddress(1)) {
		t.Errorf("the archiver's log does not say it follows %s:\n%s", member(1), logs)
	}

	r := stackS3(t, "restore", "--from", haLocation, "--to-time", target.Format(time.RFC3339), "--yes", "-n", haNamespace)
	t.Logf("restore --to-time %s:\n%s%s", target.Format(time.RFC3339), r.stdout, r.stderr)
	if r.code != 0 || !regexp.MustCompile(`replayed [1-9]\d* transactions`).MatchString(r.stderr) || !regexp.MustCompile(`[1-9]\d* transactions the archive holds twice`).MatchString(r.stderr) {
		t.Fatalf("restore --to-time across the switch: exit %d", r.code)
	}
	for i := range stack.GaleraMembers {
		if got := strings.Fields(memberSQL(t, member(i), "SELECT id FROM pitr ORDER BY id")); strings.Join(got, ",") != "1,2" {
			t.Errorf("%s after the restore to %s: rows %v, want 1,2", member(i), target.Format(time.RFC3339), got)
		}
	}
}

// startHAArchiver applies the binlog-archive component in the HA tier's
// namespace with the members' addresses, as overlays/prod-ha does.
func startHAArchiver(t *testing.T) {
	useObjectStore(t)
	rendered := renderForStore(t, "overlays/binlog-archive", haLocation)
	addresses := make([]string, stack.GaleraMembers)
	for i := range addresses {
		addresses[i] = memberAddress(i)
	}
	for from, to := range map[string]string{
		"namespace: " + stack.Namespace + "\n":                                    "namespace: " + haNamespace + "\n",
		"name: " + stack.MySQLSecret + "\n":                                       "name: " + rootSecret(t, haNamespace) + "\n",
		fmt.Sprintf("--mysql-address=%s:%d", stack.MySQLService, stack.MySQLPort): "--mysql-address=" + strings.Join(addresses, ","),
	} {
		if !strings.Contains(rendered, from) {
			t.Fatalf("the rendered binlog-archive component no longer holds %q", from)
		}
		rendered = strings.ReplaceAll(rendered, from, to)
	}
	startArchiver(t, haNamespace, rendered, "ha-binlog-archive.yaml")
}

func memberAddress(i int) string {
	return fmt.Sprintf("%s.%s:%d", member(i), stack.MySQLHeadless, stack.MySQLPort)
}

// cutOff rejects TCP on port in the pod's network namespace, both ways,
// but on loopback (the member's own clients); the returned func heals it,
// and runs when the step ends if it was not called.
func cutOff(t *testing.T, pod string, port int) (heal func()) {
	pid := podPID(t, pod, "mariadbd")
	p := strconv.Itoa(port)
	rules := [][]string{{"INPUT", "--dport", p, "!", "-i", "lo"}, {"OUTPUT", "--sport", p, "!", "-o", "lo"}}
	for _, r := range rules {
		inNetns(t, pid, "-I", r...)
	}
	healed := false
	heal = func() {
		if !healed {
			healed = true
			for _, r := range rules {
				inNetns(t, pid, "-D", r...)
			}
		}
	}
	t.Cleanup(heal)
	return heal
}

// waitArchivedFrom waits until the archiver reports the member's binary
// logs stored up to where they end now.
func waitArchivedFrom(t *testing.T, pod, what string) {
	t.Helper()
	f := strings.Fields(memberSQL(t, pod, "SHOW MASTER STATUS"))
	if len(f) < 2 {
		t.Fatalf("SHOW MASTER STATUS on %s: %q", pod, f)
	}
	pos, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	end := binlog.Position{File: f[0], Pos: uint32(pos)}
	waitForWithin(t, 3*time.Minute, "the archive to hold "+what+" from "+pod+" (up to "+end.String()+")", func() bool {
		st := archiverStatusIn(t, haNamespace)
		return st != nil && strings.HasPrefix(st.Newest.File, pod+"-bin.") && !st.Newest.Before(end)
	})
}

// memberNow is the member's clock, in whole seconds: the binary logs'.
func memberNow(t *testing.T, pod string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimSpace(memberSQL(t, pod, "SELECT UNIX_TIMESTAMP()")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(n, 0).UTC()
}
