//go:build e2e

package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The dev overlay's public, dev-only passwords: no process may show them.
var devPasswords = []string{"dev-only-password", "dev-only-root-password"}

// mysqlStatementsAndScripts: a statement's row, an SQL error's exit status,
// and a UTF-8 script through stdin that reads back byte for byte.
func mysqlStatementsAndScripts(t *testing.T) {
	r := kubectl(t, time.Minute, "stack", "mysql", "--", "--batch", "-e", "SELECT 40+2 AS answer")
	if r.code != 0 || !strings.Contains(r.stdout, "answer\n42\n") {
		t.Fatalf("mysql -- -e: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = kubectl(t, time.Minute, "stack", "mysql", "--", "-e", "SELECT * FROM no_such_table")
	if r.code != 1 || !strings.Contains(r.stderr, "1146") {
		t.Errorf("an SQL error: exit %d, want 1 and the server's error\n%s", r.code, r.stderr)
	}
	text := "Grüße, 日本語, ünïcödé 🚀"
	script := "CREATE TABLE IF NOT EXISTS utf8_check (t VARCHAR(64)) DEFAULT CHARSET=utf8mb4;\nDELETE FROM utf8_check;\nINSERT INTO utf8_check VALUES ('" + text + "');\n"
	cmd := exec.Command(filepath.Join(env.binDir, "kubectl"), "stack", "mysql")
	cmd.Env, cmd.Stdin = pluginEnv(), strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mysql < script: %v\n%s", err, out)
	}
	got := strings.TrimSpace(sql(t, "SELECT HEX(t) FROM utf8_check"))
	if want := strings.ToUpper(hex.EncodeToString([]byte(text))); got != want {
		t.Errorf("the UTF-8 text read back as %s, want %s", got, want)
	}
}

// mysqlInteractive drives a session through a pseudo-terminal: a query, a
// Ctrl-C that cancels a running statement and not the session, \q; the
// passwords are on no command line of this machine (the node) meanwhile.
func mysqlInteractive(t *testing.T) {
	cmd := exec.Command(filepath.Join(env.binDir, "kubectl"), "stack", "mysql")
	cmd.Env = pluginEnv()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := newScreen()
	go func() { _, _ = io.Copy(screen, tty) }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	screen.waitFor(t, "[stack]>", "the prompt")
	for _, proc := range commandLines(t) {
		for _, pw := range devPasswords {
			if strings.Contains(proc, pw) {
				t.Errorf("a process shows the password: %q", proc)
			}
		}
	}
	send(t, tty, "SELECT 6*7 AS answer;\r")
	screen.waitFor(t, " 42 |", "the answer")
	send(t, tty, "SELECT SLEEP(60);\r")
	waitForWithin(t, 30*time.Second, "the SLEEP running", func() bool {
		return strings.TrimSpace(sqlAsRoot(t, "SELECT COUNT(*) FROM information_schema.processlist WHERE info = 'SELECT SLEEP(60)'")) == "1"
	})
	send(t, tty, "\x03")
	screen.waitFor(t, "interrupted", "the statement cancelled")
	send(t, tty, "SELECT 'still here' AS session;\r")
	screen.waitFor(t, "still here |", "the session going on after Ctrl-C")
	send(t, tty, "\\q\r")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the session ended with %v after \\q:\n%s", err, screen)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the session did not end after \\q:\n%s", screen)
	}
}

// screen is what a terminal shows, for waiting on text: every write
// wakes the waiters.
type screen struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed, and replaced, on every write
}

func newScreen() *screen { return &screen{changed: make(chan struct{})} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.buf.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return n, err
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor returns once text is on the screen, waking on each write.
func (s *screen) waitFor(t *testing.T, text, what string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		s.mu.Lock()
		seen, changed := strings.Contains(s.buf.String(), text), s.changed
		s.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s (%q) on the terminal after 1m:\n%s", what, text, s)
		}
	}
}

func send(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
}

// commandLines are the arguments of every process on this machine, which
// is the node.
func commandLines(t *testing.T) []string {
	paths, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err == nil && len(data) > 0 {
			out = append(out, strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	if len(out) < 10 {
		t.Fatalf("read only %d command lines from /proc", len(out))
	}
	return out
}

// logsFollowThroughARestart: `logs -f web` shows a line of each web pod;
// after `restart web` it shows lines of the three new pods.
func logsFollowThroughARestart(t *testing.T) {
	_, stdout := startKubectl(t, "stack", "logs", "web", "-f")
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	old := webPodNames(t)
	expectLinesFrom(t, lines, old, "follow-before")

	r := kubectl(t, 5*time.Minute, "stack", "restart", "web")
	if r.code != 0 || !strings.Contains(r.stderr, "ready    Deployment") {
		t.Fatalf("restart web: exit %d\n%s", r.code, r.stderr)
	}
	waitForWithin(t, 2*time.Minute, "three new web pods, the old ones gone", func() bool {
		now := webPodNames(t)
		return len(now) == stack.WebReplicas && !overlaps(now, old)
	})
	expectLinesFrom(t, lines, webPodNames(t), "follow-after")
}

// expectLinesFrom asks each pod for a marked page and waits until the
// follow shows each pod's line, and no other pod's.
func expectLinesFrom(t *testing.T, lines <-chan string, pods map[string]string, marker string) {
	t.Helper()
	for name, ip := range pods {
		url := "http://" + net.JoinHostPort(ip, strconv.Itoa(stack.WebContainerPort)) + "/?" + marker + "=" + name
		if _, err := env.cluster.get(env.cluster.realNode(), url); err != nil {
			t.Fatalf("asking %s: %v", name, err)
		}
	}
	seen := map[string]bool{}
	deadline := time.After(time.Minute)
	for len(seen) < len(pods) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("logs -f ended; saw %v", seen)
			}
			if !strings.Contains(l, marker+"=") {
				continue
			}
			pod := strings.Fields(l)[0]
			if _, ok := pods[pod]; !ok || !strings.Contains(l, marker+"="+pod) {
				t.Fatalf("a %s line from the wrong pod: %s", marker, l)
			}
			seen[pod] = true
		case <-deadline:
			t.Fatalf("logs -f showed %s lines of %v, want all of %v", marker, seen, pods)
		}
	}
}

// webPodNames maps the running web pods to their IPs.
func webPodNames(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, p := range pods(t, stack.Web) {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podReady(&p) {
			out[p.Name] = p.Status.PodIP
		}
	}
	return out
}

func overlaps(a, b map[string]string) bool {
	for k := range a {
		if _, ok := b[k]; ok {
			return true
		}
	}
	return false
}

// logsPrevious: after nginx in one web pod restarts, `logs --previous`
// shows what the instance before wrote.
func logsPrevious(t *testing.T) {
	var name, ip string
	for n, i := range webPodNames(t) {
		name, ip = n, i
		break
	}
	if _, err := env.cluster.get(env.cluster.realNode(), "http://"+net.JoinHostPort(ip, strconv.Itoa(stack.WebContainerPort))+"/?before-restart="+name); err != nil {
		t.Fatal(err)
	}
	mustKubectl(t, time.Minute, "-n", stack.Namespace, "exec", name, "-c", "nginx", "--", "sh", "-c", "kill 1")
	waitForWithin(t, 2*time.Minute, name+"'s nginx restarted and ready", func() bool {
		for _, p := range pods(t, stack.Web) {
			if p.Name == name && podReady(&p) {
				for _, st := range p.Status.ContainerStatuses {
					if st.Name == "nginx" && st.RestartCount > 0 {
						return true
					}
				}
			}
		}
		return false
	})
	r := kubectl(t, time.Minute, "stack", "logs", "web", "-c", "nginx", "--previous")
	if r.code != 0 || !strings.Contains(r.stdout, name+" nginx ") || !strings.Contains(r.stdout, "before-restart="+name) {
		t.Errorf("logs --previous: exit %d, want %s's line from before its restart\n%s%s", r.code, name, r.stdout, r.stderr)
	}
}

// restartDatabaseAsks: without a terminal and --yes the database is not
// restarted.
func restartDatabaseAsks(t *testing.T) {
	before := pods(t, stack.Database)[0].UID
	r := kubectl(t, time.Minute, "stack", "restart", "database")
	if r.code != 2 || !strings.Contains(r.stderr, "pass --yes") {
		t.Errorf("restart database without a terminal: exit %d\n%s", r.code, r.stderr)
	}
	if pods(t, stack.Database)[0].UID != before {
		t.Error("mysql-0 was replaced although the restart was refused")
	}
}

// reportBundle: the bundle's listing, no Secret's value in any file, and
// with mysql-0 deleted and kept from running, a bundle still written that
// names what it could not read.
func reportBundle(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "report.zip")
	mustKubectl(t, 2*time.Minute, "stack", "report", file)
	files := unzip(t, file)
	for _, want := range []string{"status.yaml", "events.txt", "objects.yaml", "kubernetes-events.yaml", "nodes.yaml",
		"overlay.yaml", "netcheck.txt", "versions.yaml", "failures.txt", "logs/" + stack.MySQLPod + "/mysql.log"} {
		if _, ok := files[want]; !ok {
			t.Errorf("the bundle has no %s: %v", want, keys(files))
		}
	}
	if files["failures.txt"] != "every part was read\n" {
		t.Errorf("parts failed on a healthy stack:\n%s", files["failures.txt"])
	}
	secrets, err := env.client.CoreV1().Secrets(stack.Namespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range secrets.Items {
		for key, value := range s.Data {
			// Values as short as a database's name ("stack") are words of
			// every file; passwords and keys are longer.
			if len(value) < 8 {
				continue
			}
			checked++
			for name, content := range files {
				if strings.Contains(content, string(value)) || strings.Contains(content, base64.StdEncoding.EncodeToString(value)) {
					t.Errorf("%s holds the value of secret %s key %s", name, s.Name, key)
				}
			}
		}
	}
	if checked < 2 {
		t.Fatalf("only %d secret values checked", checked)
	}

	// Every node cordoned, mysql-0 deleted stays Pending for the whole
	// report: what needed it running fails, the rest is written. Dev's
	// database only prefers its node, so on a cluster of several (kind's)
	// cordoning that one node alone lets mysql-0 start on another.
	nodes := nodeNames(t)
	before := pods(t, stack.Database)[0].UID
	mustKubectl(t, time.Minute, append([]string{"cordon"}, nodes...)...)
	uncordon := func() { kubectl(t, time.Minute, append([]string{"uncordon"}, nodes...)...) }
	defer uncordon()
	mustKubectl(t, 2*time.Minute, "-n", stack.Namespace, "delete", "pod", stack.MySQLPod)
	r := kubectl(t, 2*time.Minute, "stack", "report", file)
	if r.code != 0 {
		t.Fatalf("report with mysql-0 deleted: exit %d\n%s", r.code, r.stderr)
	}
	files = unzip(t, file)
	if !strings.Contains(files["failures.txt"], "running mysql pod") || files["status.yaml"] == "" || files["objects.yaml"] == "" {
		t.Errorf("report with mysql-0 deleted: failures.txt %q; want the part that needed it named and the rest written (%v)", files["failures.txt"], keys(files))
	}
	if !strings.Contains(r.stderr, "not in the report") {
		t.Errorf("report does not say on stderr what is missing:\n%s", r.stderr)
	}
	uncordon()
	waitForWithin(t, 3*time.Minute, "a new mysql-0 ready", func() bool {
		p := pods(t, stack.Database)
		return len(p) == 1 && p[0].UID != before && podReady(&p[0])
	})
}

func unzip(t *testing.T, file string) map[string]string {
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(data)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// nodeNames are the names of the cluster's nodes.
func nodeNames(t *testing.T) []string {
	t.Helper()
	list, err := env.client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(list.Items))
	for _, n := range list.Items {
		names = append(names, n.Name)
	}
	return names
}
