//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// pitrLocation is where the point-in-time steps keep their backups and
// the archived binary logs.
const pitrLocation = "s3://" + bucket + "/pitr"

// archiverRuns applies the binlog-archive component beside the dev
// stack, pointed at the test's object store: Pod Security admits it, its
// Job creates the archiver's user, its NetworkPolicies let it reach the
// database, the API server and the store, and it archives.
func archiverRuns(t *testing.T) {
	rendered := renderForStore(t, "overlays/binlog-archive", pitrLocation)
	// Applied apart from the dev overlay, the Job names the database's
	// Secret as written; dev generates it with a hash suffix, which a
	// build of both together would have put in.
	rendered = strings.ReplaceAll(rendered, "name: "+stack.MySQLSecret+"\n", "name: "+rootSecret(t, stack.Namespace)+"\n")
	startArchiver(t, stack.Namespace, rendered, "binlog-archive.yaml")
}

// startArchiver applies the rendered binlog-archive component in
// namespace ns with its Secrets, keeping the manifest in the state folder
// as name, and waits until it archives.
func startArchiver(t *testing.T, ns, rendered, name string) {
	t.Helper()
	manifest := filepath.Join(env.stateDir, name)
	if err := os.WriteFile(manifest, []byte(rendered), 0o600); err != nil {
		t.Fatal(err)
	}
	archiverSecrets(t, ns)
	mustKubectl(t, time.Minute, "apply", "-f", manifest)
	waitArchiving(t, ns)
}

// archiverSecrets creates what the archiver and the scheduled backup
// read in namespace ns: the store's keys and a new password for the
// archiver's user.
func archiverSecrets(t *testing.T, ns string) {
	t.Helper()
	storeKeys(t, ns)
	password := make([]byte, 16)
	_, _ = rand.Read(password)
	mustKubectl(t, time.Minute, "-n", ns, "create", "secret", "generic", "mysql-binlog-archiver",
		"--from-literal=password="+hex.EncodeToString(password))
}

// storeKeys gives namespace ns the test store's keys, in the Secret the
// scheduled backup and the archiver read them from.
func storeKeys(t *testing.T, ns string) {
	t.Helper()
	s := offsite.store
	mustKubectl(t, time.Minute, "-n", ns, "create", "secret", "generic", "mysql-backup-credentials",
		"--from-literal=AWS_ACCESS_KEY_ID="+s.access, "--from-literal=AWS_SECRET_ACCESS_KEY="+s.secret)
}

// waitArchiving waits until the archiver in namespace ns has its user,
// runs, and reports the binary logs stored up to a moment ago.
func waitArchiving(t *testing.T, ns string) {
	t.Helper()
	in := []string{"-n", ns}
	if r := kubectl(t, 4*time.Minute, append(in, "wait", "--for=condition=complete", "job/binlog-archiver-user", "--timeout=3m")...); r.code != 0 {
		logs := kubectl(t, time.Minute, append(in, "logs", "job/binlog-archiver-user")...)
		t.Fatalf("the archiver's user was not created: %s\n%s%s", r.stderr, logs.stdout, logs.stderr)
	}
	mustKubectl(t, 4*time.Minute, append(in, "rollout", "status", "deployment/"+stack.BinlogArchiver.Name, "--timeout=3m")...)
	waitForWithin(t, 4*time.Minute, "the archiver to store the binary logs and report", func() bool {
		st := archiverStatusIn(t, ns)
		return st != nil && st.Newest.File != "" && st.Lag(time.Now()) < 30*time.Second
	})
}

// rootSecret is the name of the Secret the root password of the database
// in namespace ns comes from.
func rootSecret(t *testing.T, ns string) string {
	t.Helper()
	db, err := env.client.AppsV1().StatefulSets(ns).Get(context.Background(), stack.Database.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range db.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "MYSQL_ROOT_PASSWORD" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return e.ValueFrom.SecretKeyRef.Name
		}
	}
	t.Fatalf("%s takes its root password from no Secret", stack.Database.Name)
	return ""
}

// archiverCleanup removes the component and its Secrets.
func archiverCleanup(t *testing.T) {
	ns := []string{"-n", stack.Namespace}
	kubectl(t, 2*time.Minute, "delete", "-f", filepath.Join(env.stateDir, "binlog-archive.yaml"), "--ignore-not-found")
	kubectl(t, time.Minute, append(ns, "delete", "secret", "mysql-backup-credentials", "mysql-binlog-archiver", "--ignore-not-found")...)
}

// archiverStatus is what the archiver last wrote to its ConfigMap.
func archiverStatus(t *testing.T) *binlog.Status {
	t.Helper()
	return archiverStatusIn(t, stack.Namespace)
}

// archiverStatusIn is what the archiver of the stack in namespace ns last
// wrote to its ConfigMap.
func archiverStatusIn(t *testing.T, ns string) *binlog.Status {
	t.Helper()
	cm, err := env.client.CoreV1().ConfigMaps(ns).Get(context.Background(), stack.BinlogArchiverStatus, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := binlog.ReadStatus(cm.Data)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// serverNow is the database's clock, in whole seconds: the binary logs'.
func serverNow(t *testing.T) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimSpace(sqlAsRoot(t, "SELECT UNIX_TIMESTAMP()")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(n, 0).UTC()
}

// write inserts a row into stack.pitr and returns the server's time after
// its commit.
func write(t *testing.T, id int) time.Time {
	t.Helper()
	sql(t, fmt.Sprintf("INSERT INTO pitr VALUES (%d, 'written at t%d')", id, id))
	return serverNow(t)
}

// binlogEnd is where the server's binary logs end now. The archive holds
// everything written so far once its newest chunk reaches it; a time
// cannot say so: the events carry whole seconds, and the clock read
// after a write may have passed the second its events carry.
func binlogEnd(t *testing.T) binlog.Position {
	t.Helper()
	f := strings.Fields(sqlAsRoot(t, "SHOW MASTER STATUS"))
	if len(f) < 2 {
		t.Fatalf("SHOW MASTER STATUS: %q, want the file and position", f)
	}
	pos, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		t.Fatalf("SHOW MASTER STATUS: position %q: %v", f[1], err)
	}
	return binlog.Position{File: f[0], Pos: uint32(pos)}
}

// pitrTable is the table the point-in-time steps write to.
const pitrTable = "`stack`.`pitr`"

// untouched is the CHECKSUM TABLE of every user table but stack.pitr.
func untouched(t *testing.T) string {
	t.Helper()
	return tableChecksums(t, stack.Namespace, pitrTable)
}

// tableChecksums is the CHECKSUM TABLE of every user table of the stack
// in namespace ns but those named in except (`schema`.`table`).
func tableChecksums(t *testing.T, ns string, except ...string) string {
	t.Helper()
	var tables []string
	for _, name := range strings.Fields(sqlOf(t, ns, "", "SELECT CONCAT('`', table_schema, '`.`', table_name, '`') FROM information_schema.tables "+
		"WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1")) {
		if !slices.Contains(except, name) {
			tables = append(tables, name)
		}
	}
	return sqlOf(t, ns, "", "CHECKSUM TABLE "+strings.Join(tables, ", "))
}

// pointInTimeRestore writes rows at t1, t2 and t3, restarting MySQL
// between t1 and t2, and restores to a time between t2 and t3: t1 and t2
// are back, t3 is not, the other tables are as they were.
func pointInTimeRestore(t *testing.T) {
	sql(t, "CREATE TABLE pitr (id INT PRIMARY KEY, note VARCHAR(32))")
	mustStackS3(t, "backup", "--to", pitrLocation)
	if out := mustStackS3(t, "backup", "verify", "--from", pitrLocation); !strings.Contains(out, "passed") {
		t.Fatalf("the backup's restore test: %s", out)
	}
	before := untouched(t)
	write(t, 1)
	restartMySQL(t)
	t2 := write(t, 2)
	target := t2.Add(time.Second)
	waitFor(t, "the server's clock to pass "+target.Format(time.RFC3339), func() bool { return serverNow(t).After(target) })
	t3 := write(t, 3)
	waitArchived(t, "the row of t3", binlogEnd(t))
	logs := mustKubectl(t, time.Minute, "-n", stack.Namespace, "logs", "deployment/"+stack.BinlogArchiver.Name)
	if !strings.Contains(logs, "the server stopped at") || archiverStatus(t).Restarts < 1 {
		t.Errorf("the archiver did not report the server's restart:\n%s", logs)
	}
	replayFailureChangesNothing(t)
	r := stackS3(t, "restore", "--from", pitrLocation, "--to-time", target.Format(time.RFC3339), "--yes")
	t.Logf("restore --to-time %s:\n%s%s", target.Format(time.RFC3339), r.stdout, r.stderr)
	if r.code != 0 || !regexp.MustCompile(`replayed [1-9]\d* transactions`).MatchString(r.stderr) {
		t.Fatalf("restore --to-time: exit %d", r.code)
	}
	if got := strings.Fields(sql(t, "SELECT id FROM pitr ORDER BY id")); strings.Join(got, ",") != "1,2" {
		t.Fatalf("rows after the restore to %s: %v, want 1,2 (t3 was %s)", target, got, t3)
	}
	if after := untouched(t); after != before {
		t.Fatalf("the other tables changed:\n%s", stateDiff(before, after))
	}
	out := mustKubectl(t, time.Minute, "stack", "status")
	if !strings.Contains(out, "binlogs:   lag") || !strings.Contains(out, "recovery:  ") {
		t.Errorf("status shows no archive:\n%s", out)
	}
}

// replayFailureChangesNothing injects a replay the server refuses: a
// table of a database the restore leaves alone is renamed into the
// stack's, so the restored stack lacks it and the replayed RENAME finds
// no table (1146). A user created before it exists still (a restore
// replaces databases, not accounts): its CREATE USER is left out of the
// replay, or the server would refuse that first (1396). The databases
// are put back as they were.
func replayFailureChangesNothing(t *testing.T) {
	sqlAsRoot(t, "CREATE USER 'pitr_conflict'@'%' IDENTIFIED BY 'x'")
	defer sqlAsRoot(t, "DROP USER 'pitr_conflict'@'%'")
	sqlAsRoot(t, "CREATE DATABASE pitr_elsewhere; CREATE TABLE pitr_elsewhere.moved (id INT); RENAME TABLE pitr_elsewhere.moved TO stack.pitr_moved")
	defer sqlAsRoot(t, "DROP TABLE IF EXISTS stack.pitr_moved; DROP DATABASE pitr_elsewhere")
	waitArchived(t, "the RENAME", binlogEnd(t))
	before := databaseState(t)
	r := stackS3(t, "restore", "--from", pitrLocation, "--to-time", serverNow(t).Add(time.Second).Format(time.RFC3339), "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "replaying the binary logs") || !strings.Contains(r.stderr, "1146") {
		t.Fatalf("a replay the server refuses: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("refused: %s", lastLine(r.stderr))
	if after := databaseState(t); after != before {
		t.Fatalf("the failed replay changed the databases:\n%s", stateDiff(before, after))
	}
}

// waitArchived waits until the archiver reports the binary logs stored
// up to the position.
func waitArchived(t *testing.T, what string, end binlog.Position) {
	t.Helper()
	waitForWithin(t, 3*time.Minute, "the archive to hold "+what+" (up to "+end.String()+")", func() bool {
		st := archiverStatus(t)
		return st != nil && !st.Newest.Before(end) && st.Lag(time.Now()) < 20*time.Second
	})
}

// archiveOutages: the store down (the archiver runs but cannot store: its
// lag metric and status say so, and it catches up when the store
// returns), the archiver down (status says so), and binary logs purged
// while it was down (a gap, reported, and refused by a restore).
func archiveOutages(t *testing.T) {
	pod := archiverPod(t)
	metrics := portForward(t, pod, stack.BinlogArchiverMetricsPort)
	offsite.store.kill()
	write(t, 4)
	written := binlogEnd(t)
	waitForWithin(t, 3*time.Minute, "the lag metric to pass 20s with the store down", func() bool {
		return metric(t, metrics, "binlog_archive_lag_seconds") > 20
	})
	out := kubectl(t, time.Minute, "stack", "status", "--archive-lag-warning", "15s").stdout
	if !strings.Contains(out, "binlog archiver: ") || !strings.Contains(out, "behind (over 15s)") {
		t.Errorf("status does not warn of the lag:\n%s", out)
	}
	offsite.store.start(t)
	waitForWithin(t, 3*time.Minute, "the archiver to catch up with the store back (up to "+written.String()+")", func() bool {
		st := archiverStatus(t)
		return metric(t, metrics, "binlog_archive_lag_seconds") < 15 && st != nil && !st.Newest.Before(written)
	})

	scaleArchiver(t, 0)
	sql(t, "INSERT INTO pitr VALUES (5, 'lost in the gap')")
	current := strings.Fields(sqlAsRoot(t, "FLUSH BINARY LOGS; SHOW MASTER STATUS"))[0]
	// MariaDB keeps a file until its binlog checkpoint has moved on, and
	// skips it without an error meanwhile.
	waitFor(t, "the binary logs before "+current+" to be purged", func() bool {
		return strings.Fields(sqlAsRoot(t, "PURGE BINARY LOGS TO '"+current+"'; SHOW BINARY LOGS"))[0] == current
	})
	waitForWithin(t, 2*time.Minute, "status to warn of the stopped archiver", func() bool {
		out := kubectl(t, time.Minute, "stack", "status", "--archive-lag-warning", "10s").stdout
		return strings.Contains(out, "binlog archiver: not running") && strings.Contains(out, "behind (over 10s)")
	})
	scaleArchiver(t, 1)
	// Reported, and past it: the archive holds the file after the purge.
	waitForWithin(t, 3*time.Minute, "the archiver to report the gap and archive past it", func() bool {
		st := archiverStatus(t)
		return st != nil && strings.Contains(st.Gap, "purged") && st.Newest.File == current && st.Lag(time.Now()) < 20*time.Second
	})
	metrics = portForward(t, archiverPod(t), stack.BinlogArchiverMetricsPort)
	if g := metric(t, metrics, "binlog_archive_gap"); g != 1 {
		t.Errorf("binlog_archive_gap = %v, want 1", g)
	}
	out = kubectl(t, time.Minute, "stack", "status").stdout
	if !strings.Contains(out, "purged or expired before it was archived") {
		t.Errorf("status does not report the gap:\n%s", out)
	}
	before := databaseState(t)
	r := stackS3(t, "restore", "--from", pitrLocation, "--to-time", serverNow(t).Format(time.RFC3339), "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "the archive has a gap") || !strings.Contains(r.stderr, "--accept-gap") {
		t.Fatalf("a restore across the gap: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("refused: %s", lastLine(r.stderr))
	if after := databaseState(t); after != before {
		t.Fatalf("the refused restore changed the databases:\n%s", stateDiff(before, after))
	}
}

func archiverPod(t *testing.T) string {
	t.Helper()
	var name string
	waitForWithin(t, 3*time.Minute, "a ready archiver pod", func() bool {
		for _, p := range pods(t, stack.BinlogArchiver) {
			if podReady(&p) && p.DeletionTimestamp == nil {
				name = p.Name
				return true
			}
		}
		return false
	})
	return name
}

func scaleArchiver(t *testing.T, n int) {
	t.Helper()
	mustKubectl(t, time.Minute, "-n", stack.Namespace, "scale", "deployment/"+stack.BinlogArchiver.Name, "--replicas="+strconv.Itoa(n))
	waitForWithin(t, 3*time.Minute, fmt.Sprintf("%d archiver pods", n), func() bool {
		ps := pods(t, stack.BinlogArchiver)
		return len(ps) == n && (n == 0 || podReady(&ps[0]))
	})
}

// portForward forwards a local port to the pod's and returns its URL; the
// kubectl it starts is stopped by PID when the step ends.
func portForward(t *testing.T, pod string, port int) string {
	t.Helper()
	_, stdout := startKubectl(t, "-n", stack.Namespace, "port-forward", "pod/"+pod, ":"+strconv.Itoa(port))
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("kubectl port-forward to %s: %q %v", pod, line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return "http://127.0.0.1:" + m[1] + "/metrics"
}

// metric reads one gauge from the archiver's /metrics.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("%s has no %s", url, name)
	return 0
}
