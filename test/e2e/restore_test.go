//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// holdLock is the named lock a restore of a held dump waits for half-way:
// the test holds it, so the restore is mid-stream, some databases dropped
// and others reloaded, when the failure is injected.
const holdLock = "e2e-hold"

// restoreFailuresChangeNothing: for each way a restore can fail half-way,
// every table's CHECKSUM TABLE, every view, trigger and routine, and the
// users are as before; then a restore that succeeds, and what becomes of
// the safety copies.
func restoreFailuresChangeNothing(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.sql.gz")
	mustKubectl(t, 5*time.Minute, "stack", "backup", good)
	lines := dumpLines(t, good)
	held := writeDump(t, filepath.Join(dir, "held.sql.gz"), withLine(lines, afterFirst(lines, "UNLOCK TABLES;"),
		fmt.Sprintf("SELECT GET_LOCK('%s', 600);", holdLock)))
	bad := lastPrefixed(lines, "INSERT INTO `entries`")
	broken := writeDump(t, filepath.Join(dir, "broken.sql.gz"), withReplaced(lines, bad, "INSRT INTO"+strings.TrimPrefix(lines[bad], "INSERT INTO")))
	before := databaseState(t)

	r := kubectl(t, 5*time.Minute, "stack", "restore", broken, "--yes")
	expectPutBack(t, "a statement the server refuses", r, before, fmt.Sprintf("ERROR 1064 (42000) at line %d: ", bad+1))
	oneOfManyFails(t, dir, lines, before)

	failures := []struct {
		name, says string
		inject     func(t *testing.T, restore *exec.Cmd)
	}{
		{"Ctrl-C", "interrupted", func(t *testing.T, restore *exec.Cmd) {
			if err := restore.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
		}},
		{"mysql-0 deleted", "was deleted or restarted", func(t *testing.T, _ *exec.Cmd) {
			if err := env.client.CoreV1().Pods(stack.Namespace).Delete(context.Background(), stack.MySQLPod, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"the kubelet restarted (the exec stream drops)", "the connection to mysql-0 dropped", func(t *testing.T, _ *exec.Cmd) {
			if err := env.cluster.restart("kubelet"); err != nil {
				t.Fatal(err)
			}
		}},
		{"the API server restarted", "the connection to mysql-0 dropped", func(t *testing.T, _ *exec.Cmd) {
			if err := env.cluster.restart("kube-apiserver"); err != nil {
				t.Fatal(err)
			}
			waitAPIServer(t)
		}},
	}
	for _, f := range failures {
		holder := holdNamedLock(t)
		restore, stderr := startRestore(t, held)
		waitFor(t, "the restore to wait half-way on "+holdLock, func() bool { return restoreWaiting(t) })
		f.inject(t, restore)
		r := finish(t, restore, stderr)
		holder.release()
		waitFor(t, "no session of the failed restore", func() bool { return !restoreWaiting(t) })
		expectPutBack(t, f.name, r, before, f.says)
	}
	podDumpsGone(t)
	failed := safetyCopies(t)
	if len(failed) != 2+len(failures) {
		t.Errorf("%d safety copies after %d failed restores, want one each: %v", len(failed), 2+len(failures), failed)
	}

	sql(t, "DELETE FROM ledger.entries WHERE id < 10; DROP VIEW ledger.large")
	restoreDryRunChangesNothing(t, good)
	// A client left idle inside a transaction holds its tables' metadata
	// locks: the restore's DROP DATABASE would wait for it for a day.
	idle := holdSession(t, "USE ledger; START TRANSACTION; SELECT COUNT(*) > 0 FROM entries;", "1")
	r = kubectl(t, 5*time.Minute, "stack", "restore", good, "--yes")
	t.Logf("restore:\n%s%s", r.stdout, r.stderr)
	idle.release()
	if r.code != 0 {
		t.Fatalf("the restore with a session idle in a transaction on ledger: exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "ending session ") || !strings.Contains(r.stderr, ", in ledger, Sleep for ") {
		t.Errorf("the restore did not say it ended the session idle in ledger")
	}
	if after := databaseState(t); after != before {
		t.Fatalf("a restore that succeeded did not give the backup's state:\n%s", stateDiff(before, after))
	}
	if now := safetyCopies(t); len(now) != len(failed) {
		t.Errorf("a restore that succeeded left its safety copy: %v", now)
	}
	r = kubectl(t, 5*time.Minute, "stack", "restore", good, "--yes", "--keep-safety-copy", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"safetyCopy": "`+filepath.Join(env.stateHome, "kubectl-stack", "safety-copies")) {
		t.Errorf("restore --keep-safety-copy: exit %d, no safety copy named:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if now := safetyCopies(t); len(now) != len(failed)+1 {
		t.Errorf("--keep-safety-copy: %d safety copies, want %d", len(now), len(failed)+1)
	}
}

// oneOfManyFails: the tables load side by side, and one table's part is
// refused while another's is in flight (held on holdLock): the restore
// ends the one in flight and puts everything back.
func oneOfManyFails(t *testing.T, dir string, lines []string, before string) {
	held := withLine(lines, afterFirst(lines, "UNLOCK TABLES;"), fmt.Sprintf("SELECT GET_LOCK('%s', 600);", holdLock))
	bad := lastPrefixed(held, "INSERT INTO `entries`")
	both := writeDump(t, filepath.Join(dir, "held-and-broken.sql.gz"), withReplaced(held, bad, "INSRT INTO"+strings.TrimPrefix(held[bad], "INSERT INTO")))
	holder := holdNamedLock(t)
	restore, stderr := startRestore(t, both, "--parallel", "4")
	r := finish(t, restore, stderr)
	waitFor(t, "no session of the failed restore", func() bool { return !restoreWaiting(t) })
	holder.release()
	expectPutBack(t, "one table refused while another loads", r, before, fmt.Sprintf("loading table `ledger`.`entries`: ERROR 1064 (42000) at line %d: ", bad+1))
}

// podDumpsGone: no failed restore left its copy of the dump (or a client
// PID) in the pod's /tmp.
func podDumpsGone(t *testing.T) {
	t.Helper()
	r := kubectl(t, time.Minute, "-n", stack.Namespace, "exec", stack.MySQLPod, "-c", "mysql", "--", "sh", "-c", "ls -A /tmp")
	if r.code != 0 || strings.Contains(r.stdout, ".kubectl-stack-restore") {
		t.Errorf("the pod's /tmp after the failed restores (exit %d): %s%s", r.code, r.stdout, r.stderr)
	}
}

// restoreDryRunChangesNothing: --dry-run=server asks nothing, lists the
// databases the backup would replace as they are now, and changes nothing.
func restoreDryRunChangesNothing(t *testing.T, backup string) {
	t.Helper()
	before := databaseState(t)
	r := kubectl(t, 5*time.Minute, "stack", "restore", backup, "--dry-run=server", "-o", "json")
	var res struct {
		Kind      string `json:"kind"`
		DryRun    bool   `json:"dryRun"`
		Databases []struct {
			Database string `json:"database"`
			Exists   bool   `json:"exists"`
			Tables   int    `json:"tables"`
		} `json:"databases"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 || res.Kind != "RestoreResult" || !res.DryRun {
		t.Fatalf("restore --dry-run=server: exit %d, %v:\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	found := false
	for _, d := range res.Databases {
		found = found || d.Database == "ledger" && d.Exists && d.Tables > 0
	}
	if !found {
		t.Errorf("restore --dry-run=server does not list ledger with its tables: %+v", res.Databases)
	}
	if after := databaseState(t); after != before {
		t.Fatalf("restore --dry-run=server changed the databases:\n%s", stateDiff(before, after))
	}
}

// waitAPIServer waits until the restarted API server is ready; if it never
// is, the suite's diagnosis prints the end of its log.
func waitAPIServer(t *testing.T) {
	t.Helper()
	waitForWithin(t, 3*time.Minute, "the API server ready after its restart", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := env.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil
	})
}

// expectPutBack: the restore failed with one error line naming its cause
// (one of causes), said that nothing was changed and where the safety copy
// is, and the server is as before.
func expectPutBack(t *testing.T, name string, r result, before string, causes ...string) {
	t.Helper()
	t.Logf("%s:\n%s", name, r.stderr)
	line := lastError(r.stderr)
	named := false
	for _, c := range causes {
		named = named || strings.Contains(line, c)
	}
	if r.code != 1 || !strings.Contains(line, "restore failed, nothing was changed: ") || !named || strings.Count(line, "\n") != 1 {
		t.Errorf("%s: exit %d, want 1 and one error line with one of %q:\n%s", name, r.code, causes, r.stderr)
	}
	if copyPath := between(line, "the safety copy stays in ", ")"); copyPath == "" {
		t.Errorf("%s: the error does not say where the safety copy is", name)
	} else if _, err := os.Stat(copyPath); err != nil {
		t.Errorf("%s: the safety copy it names: %v", name, err)
	}
	if after := databaseState(t); after != before {
		t.Fatalf("%s changed the databases:\n%s", name, stateDiff(before, after))
	}
}

// databaseState is what a failed restore must leave as it was: CHECKSUM
// TABLE of every user table, the views', triggers' and routines'
// definitions, and the server's users.
func databaseState(t *testing.T) string {
	t.Helper()
	user := "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')"
	var tables []string
	for _, name := range strings.Fields(sqlAsRoot(t, "SELECT CONCAT('`', table_schema, '`.`', table_name, '`') FROM information_schema.tables "+
		"WHERE table_type = 'BASE TABLE' AND table_schema "+user+" ORDER BY 1")) {
		tables = append(tables, name)
	}
	return strings.Join([]string{
		sqlAsRoot(t, "CHECKSUM TABLE "+strings.Join(tables, ", ")),
		sqlAsRoot(t, "SELECT table_schema, table_name, view_definition FROM information_schema.views WHERE table_schema "+user+" ORDER BY 1, 2"),
		sqlAsRoot(t, "SELECT trigger_schema, trigger_name, action_statement FROM information_schema.triggers WHERE trigger_schema "+user+" ORDER BY 1, 2"),
		sqlAsRoot(t, "SELECT routine_schema, routine_name, routine_definition FROM information_schema.routines WHERE routine_schema "+user+" ORDER BY 1, 2"),
		sqlAsRoot(t, "SELECT user, host FROM mysql.user ORDER BY 1, 2"),
	}, "\n")
}

func stateDiff(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for i := 0; i < len(b) || i < len(a); i++ {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		if x != y {
			out = append(out, "- "+x, "+ "+y)
		}
	}
	return strings.Join(out, "\n")
}

// restoreWaiting: a session other than this query's waits in the held
// dump's GET_LOCK.
func restoreWaiting(t *testing.T) bool {
	return strings.TrimSpace(sqlAsRoot(t, "SELECT COUNT(*) FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND info LIKE '%GET_LOCK(''"+holdLock+"'', 600)%'")) != "0"
}

// lockHolder is a mysql session in mysql-0 that keeps what its first
// statement took (a named lock, a transaction's table locks) until release
// closes its input.
type lockHolder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func holdNamedLock(t *testing.T) *lockHolder {
	t.Helper()
	return holdSession(t, fmt.Sprintf("SELECT GET_LOCK('%s', 0);", holdLock), "1")
}

// holdSession starts a mysql session as root, sends it statements and
// waits for its first line of output to be want.
func holdSession(t *testing.T, statements, want string) *lockHolder {
	t.Helper()
	cmd := exec.Command(filepath.Join(env.binDir, "kubectl"), "-n", stack.Namespace, "exec", "-i", stack.MySQLPod, "-c", "mysql", "--",
		"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mysql --user=root --batch --skip-column-names --unbuffered`)
	cmd.Env = pluginEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &lockHolder{cmd: cmd, stdin: stdin}
	t.Cleanup(h.release)
	fmt.Fprintln(stdin, statements)
	got, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(got) != want {
		t.Fatalf("session %q: got %q (%v), want %q", statements, got, err, want)
	}
	return h
}

func (h *lockHolder) release() {
	_ = h.stdin.Close()
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
}

// startRestore starts `kubectl stack restore FILE --yes`, its stderr kept.
func startRestore(t *testing.T, file string, flags ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(env.binDir, "kubectl"), append([]string{"stack", "restore", file, "--yes"}, flags...)...)
	cmd.Env = pluginEnv()
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, stderr
}

// lockedBuffer is a buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// finish waits for a restore that puts the databases back; that may wait
// for a new mysql-0, hence minutes.
func finish(t *testing.T, cmd *exec.Cmd, stderr *lockedBuffer) result {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(8 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the restore did not end within 8 minutes:\n%s", stderr)
	}
	return result{stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

func safetyCopies(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(env.stateHome, "kubectl-stack", "safety-copies", "*.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// dumpLines reads a gzipped dump's lines.
func dumpLines(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(data), "\n")
}

// writeDump writes lines as a gzipped dump with a matching checksum file, as
// a damaged backup with a rewritten .sha256 would be.
func writeDump(t *testing.T, file string, lines []string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := io.WriteString(gz, strings.Join(lines, "\n")); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backupSum(file), []byte(hex.EncodeToString(sum[:])+"  "+filepath.Base(file)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func afterFirst(lines []string, line string) int {
	for i, l := range lines {
		if l == line {
			return i + 1
		}
	}
	panic("no line " + line)
}

func lastPrefixed(lines []string, prefix string) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], prefix) {
			return i
		}
	}
	panic("no line starts with " + prefix)
}

func withLine(lines []string, at int, line string) []string {
	out := append([]string{}, lines[:at]...)
	return append(append(out, line), lines[at:]...)
}

func withReplaced(lines []string, at int, line string) []string {
	out := append([]string{}, lines...)
	out[at] = line
	return out
}

// lastError returns the last line of stderr that starts "error: ", with
// what follows it.
func lastError(stderr string) string {
	i := strings.LastIndex("\n"+stderr, "\nerror: ")
	if i < 0 {
		return ""
	}
	return stderr[i:]
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return ""
}
