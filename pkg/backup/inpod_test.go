package backup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stubClient stands in for the mysql client: it echoes what it reads and,
// like the client on a statement the server refuses, exits 1 at a line
// saying REFUSE.
const stubClient = `#!/bin/sh
while IFS= read -r line; do
  case "$line" in *REFUSE*) echo "ERROR 1064 (42000) at line 2: refused" >&2; exit 1;; esac
  printf '%s\n' "$line"
done
`

// runScript runs a restore script with this machine's sh and gzip and the
// stub client, the pod's /tmp being a folder of the test.
func runScript(t *testing.T, dir, script string, stdin []byte) (stdout, stderr string, err error) {
	t.Helper()
	// A guard against a hang, not a measure of speed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", strings.ReplaceAll(script, "/tmp/", dir+"/"))
	cmd.Env = []string{"PATH=" + dir + ":" + os.Getenv("PATH"), "MYSQL_ROOT_PASSWORD=x"}
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the script still ran after a minute; stderr: %s", errOut.String())
	}
	return out.String(), errOut.String(), err
}

func stubPod(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mysql"), []byte(stubClient), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func leftBehind(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, ".kubectl-stack*")); len(left) > 0 {
		t.Errorf("the scripts left %v behind", left)
	}
}

// podInput is a dump as a backup writes it, followed by doneQuery as
// copyIntoPod appends it.
func podInput(dump string) []byte {
	return append(gzipMember(dump), gzipMember(doneQuery)...)
}

func TestInPodRestoreRunsTheWholeDump(t *testing.T) {
	dir := stubPod(t)
	in := podInput(strings.Repeat("INSERT INTO t VALUES (1);\n", 50000))
	if _, stderr, err := runScript(t, dir, copyScript(int64(len(in))), in); err != nil {
		t.Fatalf("copy: %v: %s", err, stderr)
	}
	stdout, stderr, err := runScript(t, dir, podRestoreScript(dropDatabases([]string{"it's"})), nil)
	if err != nil {
		t.Fatalf("restore: %v: %s", err, stderr)
	}
	if first, _, _ := strings.Cut(stdout, "\n"); first != "DROP DATABASE IF EXISTS `it's`;" {
		t.Errorf("the client read first %q, want the drop", first)
	}
	if got := strings.Count(stdout, "INSERT"); got != 50000 || !strings.Contains(stdout, doneMark) {
		t.Errorf("the client ran %d of 50000 statements, done mark seen: %v", got, strings.Contains(stdout, doneMark))
	}
	leftBehind(t, dir)
}

func TestInPodRestoreEndsWithTheClientsError(t *testing.T) {
	dir := stubPod(t)
	in := podInput("SELECT 1;\nREFUSE;\n" + strings.Repeat("INSERT INTO t VALUES (1);\n", 200000))
	if _, stderr, err := runScript(t, dir, copyScript(int64(len(in))), in); err != nil {
		t.Fatalf("copy: %v: %s", err, stderr)
	}
	_, stderr, err := runScript(t, dir, podRestoreScript(""), nil)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if last := lastLine(stderr); !strings.HasPrefix(last, "ERROR 1064") {
		t.Errorf("the last line on stderr is %q, want the client's error", last)
	}
	leftBehind(t, dir)
}

func TestCopyIntoPodRefusesAShortCopy(t *testing.T) {
	dir := stubPod(t)
	in := podInput("SELECT 1;\n")
	_, stderr, err := runScript(t, dir, copyScript(int64(len(in)+1)), in)
	if err == nil || !strings.Contains(stderr, "the pod received") {
		t.Fatalf("a short copy: err %v, stderr %q", err, stderr)
	}
	leftBehind(t, dir)
}

func TestParseRoom(t *testing.T) {
	df := "Filesystem     1024-blocks    Used Available Capacity Mounted on\noverlay          102626232 5123456  92345678       6% /\n"
	if got, want := parseRoom(df), int64(92345678)<<10; got != want {
		t.Errorf("parseRoom = %d, want %d", got, want)
	}
	for _, bad := range []string{"", "no df here", "a b c many d"} {
		if got := parseRoom(bad); got != 0 {
			t.Errorf("parseRoom(%q) = %d, want 0", bad, got)
		}
	}
}

// parts is what a connection sends: gzip members, one per part, each
// ending with doneQuery as the splitter ends it.
func parts(texts ...string) []byte {
	var b []byte
	for _, text := range texts {
		b = append(b, gzipMember(text+doneQuery)...)
	}
	return b
}

func TestPartsScriptLoadsEveryPartItIsSent(t *testing.T) {
	dir := stubPod(t)
	stdout, stderr, err := runScript(t, dir, partsScript("connection-0", true, 0), parts("INSERT INTO t VALUES (1);\n", "INSERT INTO u VALUES (2);\n"))
	if err != nil || !strings.Contains(stdout, "INSERT INTO t VALUES (1);") || !strings.Contains(stdout, "INSERT INTO u VALUES (2);") || strings.Count(stdout, doneMark) != 2 {
		t.Fatalf("parts: %v; stdout %q; stderr %q", err, stdout, stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".kubectl-stack-restore.d", "*")); len(left) > 0 {
		t.Errorf("the parts script left %v", left)
	}
}

// A pod without gzip gets the parts decompressed; the last connection
// removes the PID files' folder.
func TestPartsScriptTakesPlainSQLAndTheLastRemovesTheFolder(t *testing.T) {
	dir := stubPod(t)
	stdout, stderr, err := runScript(t, dir, partsScript("rest", false, last), []byte("SELECT 1;\n"+doneQuery))
	if err != nil || !strings.Contains(stdout, "SELECT 1;") || !strings.Contains(stdout, doneMark) {
		t.Fatalf("rest: %v; stdout %q; stderr %q", err, stdout, stderr)
	}
	leftBehind(t, dir)
}

// The client refuses the first part: the script still reads its stdin to
// the end (an exec whose stdin is no longer read may never end), and exits
// with the client's status.
func TestPartsScriptReadsAllItsInputWhenTheClientFails(t *testing.T) {
	dir := stubPod(t)
	in := append(parts("REFUSE;\n"), parts(strings.Repeat("INSERT INTO t VALUES (1);\n", 200000))...)
	stdout, stderr, err := runScript(t, dir, partsScript("connection-0", true, 0), in)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || strings.Contains(stdout, "INSERT") || !strings.Contains(stderr, "at line 2") {
		t.Fatalf("a refused part: %v; stdout %q; stderr %q; want exit 1 and the server's line", err, stdout, stderr)
	}
}

// Once a roll back has begun, a connection whose script starts late loads
// nothing; the first one of a new restore removes an earlier mark.
func TestPartsScriptDoesNotStartOnceStopped(t *testing.T) {
	dir := stubPod(t)
	mark := strings.ReplaceAll(partsStopped, "/tmp/", dir+"/")
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runScript(t, dir, partsScript("connection-1", true, 0), parts("INSERT INTO t VALUES (1);\n"))
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 75 || strings.Contains(stdout, "INSERT") {
		t.Fatalf("a part after the stop mark: %v, stdout %q; want exit 75 and nothing loaded", err, stdout)
	}
	stdout, stderr, err := runScript(t, dir, partsScript("databases", true, first), parts("CREATE DATABASE d;\n"))
	if err != nil || !strings.Contains(stdout, "CREATE DATABASE d;") {
		t.Fatalf("the first part of a new restore: %v; stdout %q; stderr %q", err, stdout, stderr)
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("the stop mark after a new restore's first part: %v", err)
	}
}

// stopRestoreClient ends a part's client that still runs, and the parts.
func TestStopRestoreClientEndsEveryPart(t *testing.T) {
	dir := t.TempDir()
	// A client that says it started (its part wrote its PID before it),
	// then never ends on its own, under that PID.
	started := filepath.Join(dir, "started")
	if err := syscall.Mkfifo(started, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mysql"), []byte("#!/bin/sh\necho > \"$STARTED\"\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(partsScript("connection-0", true, 0), "/tmp/", dir+"/")
	loading := exec.Command("sh", "-c", script)
	loading.Stdin = bytes.NewReader(parts("SELECT 1;\n"))
	loading.Env = []string{"PATH=" + dir + ":" + os.Getenv("PATH"), "MYSQL_ROOT_PASSWORD=x", "STARTED=" + started}
	if err := loading.Start(); err != nil {
		t.Fatal(err)
	}
	defer loading.Process.Kill()
	// Reading the FIFO returns once the client wrote to it.
	ready := make(chan error, 1)
	go func() { _, err := os.ReadFile(started); ready <- err }()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a guard against a hang, not a measure of speed
		t.Fatal("the part's client never started")
	}
	if _, stderr, err := runScript(t, dir, credentials+stopRestoreClient, nil); err != nil {
		t.Fatalf("stopRestoreClient: %v: %s", err, stderr)
	}
	var exit *exec.ExitError
	if err := loading.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 137 {
		t.Errorf("the part's script after stopRestoreClient: %v, want its client killed (137)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".kubectl-stack-restore.d")); !os.IsNotExist(err) {
		t.Errorf("the parts' folder after stopRestoreClient: %v", err)
	}
}
