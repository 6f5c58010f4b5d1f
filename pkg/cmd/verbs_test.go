package cmd

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest/fake"
	cmdtesting "k8s.io/kubectl/pkg/cmd/testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// apiServer is a kubeconfig whose server is a listener of the test's that
// counts the connections made to it: a verb that refuses its input before
// any I/O makes none. hang keeps each connection open without an answer,
// else it is closed at once.
type apiServer struct {
	kubeconfig string
	conns      atomic.Int32
	accepted   chan struct{}
}

func newAPIServer(t *testing.T, hang bool) *apiServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &apiServer{accepted: make(chan struct{}, 64)}
	var held []net.Conn
	t.Cleanup(func() {
		l.Close()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			select {
			case s.accepted <- struct{}{}:
			default:
			}
			if hang {
				held = append(held, c)
			} else {
				c.Close()
			}
		}
	}()
	s.kubeconfig = writeKubeconfig(t, "https://"+l.Addr().String())
	return s
}

// unreachable is a kubeconfig whose server refuses connections: a port
// that was free a moment ago.
func unreachable(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return writeKubeconfig(t, "https://"+addr)
}

func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, server)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is one run of the command tree.
type result struct {
	code           int
	stdout, stderr string
}

// execute runs the plugin's whole command tree as the binary does, with
// stdin that is not a terminal, against the kubeconfig given (never the
// user's) and a discovery cache of the test's own.
func execute(ctx context.Context, t *testing.T, kubeconfig string, args ...string) result {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	args = append([]string{"--kubeconfig", kubeconfig, "--cache-dir", t.TempDir()}, args...)
	code := Execute(ctx, streams, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// Bad input to every verb: one line naming the thing and the fix, exit 2,
// and no connection to the cluster.
func TestBadInputIsRefusedBeforeAnyIO(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.sql.gz")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nightly.sql.gz")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"apply", "--dry-run=client"}, "--dry-run=client is not supported"},
		{[]string{"apply", "--dry-run=maybe"}, "--dry-run=maybe is not supported"},
		{[]string{"apply", "--history-max", "-1"}, "--history-max must be 0 (keep all) or more"},
		{[]string{"apply", "--timeout", "-1m"}, "--timeout must be positive"},
		{[]string{"apply", "--timeout=0s"}, "--timeout must be positive"},
		{[]string{"apply", "extra"}, `kubectl stack apply takes no arguments, got "extra"`},
		{[]string{"apply", "--registry", "host:99999"}, `port "99999" is not a port`},
		{[]string{"rollback", "--dry-run=client"}, "--dry-run=client is not supported"},
		{[]string{"rollback", "1", "2"}, "takes at most one argument, REVISION"},
		{[]string{"rollback", "latest"}, `revision "latest" is not a revision number`},
		{[]string{"delete", "--dry-run=client"}, "--dry-run=client is not supported"},
		{[]string{"delete", "--purge-data"}, "delete --purge-data deletes the database's data: pass --yes"},
		{[]string{"recover"}, "recover starts the database cluster from one member, and what only the others hold may be lost: pass --yes"},
		{[]string{"recover", "--yes", "--timeout", "0s"}, "--timeout must be positive, got 0s"},
		{[]string{"diff", "-k", "overlays/dev", "--revision", "3"}, "--revision diffs a recorded revision"},
		{[]string{"diff", "--registry", "r.example", "--revision", "3"}, "give one or the other"},
		{[]string{"diff", "--revision", "0"}, "--revision 0 is not a revision number"},
		{[]string{"status", "--request-timeout", "banana"}, `--request-timeout "banana" is not a duration`},
		{[]string{"status", "-n", "Not_A_Name"}, `-n "Not_A_Name" is not a namespace name`},
		{[]string{"status", "-o", "xml"}, `--output "xml" is not supported`},
		{[]string{"status", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"aply"}, `unknown command "aply" for "kubectl stack": did you mean apply?`},
		{[]string{"init"}, "kubectl stack init needs DIR, the folder to write"},
		{[]string{"init", "-n", "staging", filepath.Join(dir, "st2")}, "-n staging would do nothing"},
		{[]string{"init", "--from", "qa", filepath.Join(dir, "st3")}, `--from "qa" is not an overlay to start from`},
		{[]string{"backup", "a.sql", "b.sql"}, "takes at most one argument, FILE, the file to write, got 2 arguments"},
		{[]string{"backup", filepath.Join(dir, "no", "such", "b.sql.gz")}, "does not exist: create it first"},
		{[]string{"backup", existing}, "exists: pass --force to replace it"},
		{[]string{"backup", dir}, "is a directory: name a file in it"},
		{[]string{"backup", "--keep-last", "3"}, "prune a location: use them with --to"},
		{[]string{"backup", "--to", dir, "--keep-last", "0"}, "a prune that keeps no backup"},
		{[]string{"backup", "--to", filepath.Join(dir, "gone")}, "does not exist: create it first"},
		{[]string{"backup", "--dry-run=client"}, "--dry-run=client is not supported"},
		{[]string{"restore"}, "name a backup FILE, or a location with --from"},
		{[]string{"restore", missing, "--yes"}, "nightly.sql.gz does not exist"},
		{[]string{"restore", dir, "--yes"}, "is a folder, not a backup file"},
		{[]string{"restore", existing}, "restore replaces the databases the backup holds: pass --yes"},
		{[]string{"restore", "--dry-run=client", existing}, "--dry-run=client is not supported"},
		{[]string{"restore", existing, "--yes", "--parallel", "-1"}, "--parallel -1: give how many tables may load at once, 1 or more (0: from the database's CPU limit)"},
		{[]string{"restore", existing, "--to-time", "2026-11-26T10:15:00Z"}, "--to-time and --to-position need --from"},
		{[]string{"clone", "--from", dir}, "name the new stack's namespace with -n NEW"},
		{[]string{"clone", "-n", "staging"}, "name the backup location to clone from with --from LOCATION"},
		{[]string{"clone", "-n", "Not_A_Name", "--from", dir}, `-n "Not_A_Name" is not a namespace name`},
		{[]string{"clone", "-n", "staging", "--from", dir, "--node-port", "80"}, "--node-port 80 is outside the NodePort range 30000-32767"},
		{[]string{"clone", "-n", "staging", "--from", dir, "--to-time", "09:41"}, `--to-time "09:41" is not an RFC 3339 time`},
		{[]string{"clone", "-n", "staging", "--from", dir, "latest", "--to-time", "2026-12-06T09:41:00Z"}, "a clone to a point in time picks its backup"},
		{[]string{"clone", "-n", "staging", "--from", dir, "--accept-gap"}, "--accept-gap goes with --to-time"},
		{[]string{"clone", "-n", "staging", "--from", filepath.Join(dir, "gone")}, "does not exist"},
		{[]string{"clone", "-n", "staging", "--from", dir, "--dry-run=client"}, "--dry-run=client is not supported"},
		{[]string{"restart", "database"}, "restarting the database stops mysql-0: the stack cannot read or write until it is ready again: pass --yes"},
		{[]string{"restart"}, "kubectl stack restart needs a tier: web, database or watcher"},
		{[]string{"restart", "cache"}, `"cache" is not a tier of the stack`},
		{[]string{"logs", "cache"}, `"cache" is not a tier of the stack`},
		{[]string{"events", "--type", "renamed"}, `--type "renamed" is not an event`},
		{[]string{"events", "--tail", "-2"}, "--since and --tail must not be negative"},
		{[]string{"events", "--pod", "("}, `--pod "(" is not a regular expression`},
		{[]string{"events", "-o", "wide"}, `--output "wide" is not supported`},
		{[]string{"netcheck", "--from", "app=x"}, "a query needs --from, --to and --port together"},
		{[]string{"netcheck", "--from", "a", "--to", "b", "--port", "99999"}, "99999"},
		{[]string{"report", "-o", "/tmp/r.zip"}, "-o is the output format; name the bundle as an argument: kubectl stack report /tmp/r.zip"},
		{[]string{"report", filepath.Join(dir, "r.tar")}, "the bundle is a zip, name it FILE.zip"},
		{[]string{"backups"}, "no backup location"},
		{[]string{"backups", "prune", "--from", dir}, "a prune that keeps no backup"},
		{[]string{"images", "push", "--to", "r.example"}, "nothing to push from"},
		{[]string{"completion", "tcsh"}, `completion "tcsh": no script for that shell; use one of bash, fish, powershell, zsh`},
		{[]string{"version", "-o", "name"}, `--output "name" is not supported`},
	}
	t.Setenv("KUBECTL_STACK_BACKUP_LOCATION", "")
	for _, c := range cases {
		server := newAPIServer(t, false)
		r := execute(context.Background(), t, server.kubeconfig, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("kubectl stack %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
		if lines := strings.Count(strings.TrimSpace(r.stderr), "\n"); lines > 0 || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("kubectl stack %s: not one error line: %q", strings.Join(c.args, " "), r.stderr)
		}
		if n := server.conns.Load(); n > 0 {
			t.Errorf("kubectl stack %s: %d connections to the API server before refusing", strings.Join(c.args, " "), n)
		}
	}
}

// Errors met while running name their real cause: a backup cut short, an
// image archive that is not one. The file's error wins over the cluster's.
func TestRunErrorsNameTheCause(t *testing.T) {
	dir := t.TempDir()
	var dump bytes.Buffer
	zw := gzip.NewWriter(&dump)
	_, _ = zw.Write(bytes.Repeat([]byte("-- MariaDB dump 10.19\nINSERT INTO t VALUES (1);\n"), 4000))
	_ = zw.Close()
	cut := dump.Bytes()[:dump.Len()/2]
	truncated := filepath.Join(dir, "cut.sql.gz")
	sum := sha256.Sum256(cut)
	notTar := filepath.Join(dir, "images.tar")
	for path, content := range map[string][]byte{
		truncated:             cut,
		truncated + ".sha256": []byte(hex.EncodeToString(sum[:]) + "  cut.sql.gz\n"),
		notTar:                []byte("not an archive\n"),
	} {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"restore", truncated, "--yes"}, "cut.sql.gz is truncated: its gzip stream ends early"},
		{[]string{"images", "--archive", notTar}, "images.tar is not a tar archive"},
	}
	for _, c := range cases {
		r := execute(context.Background(), t, unreachable(t), c.args...)
		if r.code != ExitFailure || !strings.Contains(r.stderr, c.want) {
			t.Errorf("kubectl stack %s: exit %d, stderr %q; want 1 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}

// status --watch against a server it cannot reach fails as plain status
// does, with the same line.
func TestStatusWatchFailsAsFastAsStatus(t *testing.T) {
	kubeconfig := unreachable(t)
	plain := execute(context.Background(), t, kubeconfig, "status")
	for _, args := range [][]string{{"status", "--watch"}, {"status", "-w", "-o", "json"}} {
		r := execute(context.Background(), t, kubeconfig, args...)
		if r.code != ExitFailure || r.stderr != plain.stderr || !strings.Contains(r.stderr, "cannot reach the cluster") {
			t.Errorf("%v: exit %d, stderr %q; plain status: exit %d, %q", args, r.code, r.stderr, plain.code, plain.stderr)
		}
	}
}

// status --watch waiting on a server that never answers ends when its
// context does (Ctrl-C), with no client-go back-off holding it.
func TestStatusWatchEndsOnInterrupt(t *testing.T) {
	server := newAPIServer(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- execute(ctx, t, server.kubeconfig, "status", "--watch") }()
	<-server.accepted // the first request is waiting on the server
	cancel()
	select {
	case r := <-done:
		if r.code == ExitOK || !strings.Contains(r.stderr, "interrupted") {
			t.Errorf("after Ctrl-C: exit %d, %q", r.code, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("status --watch went on 20 s after Ctrl-C (a hang, not a slow exit)")
	}
}

// --template alone means -o go-template, as in kubectl.
func TestTemplateWithoutOutput(t *testing.T) {
	r := execute(context.Background(), t, unreachable(t), "version", "--template", "{{.kind}}")
	if r.code != ExitOK || r.stdout != "Version" {
		t.Fatalf("version --template: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// The help groups the verbs, the in-cluster one apart.
func TestHelpGroupsTheVerbs(t *testing.T) {
	r := execute(context.Background(), t, unreachable(t), "--help")
	for _, want := range []string{"Deploy and change the stack:\n  apply", "Inspect and troubleshoot:", "Backup and restore:",
		"Run inside the cluster (by the stack's own workloads):\n  archive-binlogs"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help has no %q:\n%s", want, r.stdout)
		}
	}
}

// diff keeps kubectl diff's statuses: any error is 2, never 1 (differences).
func TestDiffErrorsExitTwo(t *testing.T) {
	r := execute(context.Background(), t, unreachable(t), "diff", "-k", "no/such/overlay")
	if r.code != ExitUsage {
		t.Fatalf("diff of a missing overlay: exit %d (%s), want 2", r.code, r.stderr)
	}
}

// One error type means "no stack here", in every verb, and it exits 3,
// wrapped or not; an ExitError's own code wins.
func TestExitCodes(t *testing.T) {
	notDeployed := &stack.NotDeployedError{Namespace: "default", Missing: "DaemonSet watcher"}
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{notDeployed, ExitNotDeployed},
		{fmt.Errorf("reading: %w", notDeployed), ExitNotDeployed},
		{&ExitError{Code: ExitUsage, Err: notDeployed}, ExitUsage},
		{usageError(errors.New("bad")), ExitUsage},
		{withStatus(fmt.Errorf("reading: %w", notDeployed)), ExitNotDeployed},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if got := HandleError(c.err, &stderr); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.want)
		}
		if c.err != nil && stderr.String() != "error: "+c.err.Error()+"\n" {
			t.Errorf("%v: stderr %q", c.err, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if got := HandleError(&ExitError{Code: ExitFailure}, &stderr); got != ExitFailure || stderr.Len() != 0 {
		t.Errorf("a bare exit status printed %q and exited %d", stderr.String(), got)
	}
}

// The namespace is decided once, when the verb connects: the stack's own
// unless -n names another.
func TestNamespaceIsTheStacksUnlessGiven(t *testing.T) {
	for _, c := range []struct {
		ns, want string
	}{{"", stack.Namespace}, {"elsewhere", "elsewhere"}} {
		tf := cmdtesting.NewTestFactory()
		if c.ns != "" {
			tf = tf.WithNamespace(c.ns)
		}
		tf.Client = &fake.RESTClient{}
		t.Cleanup(tf.Cleanup)
		var tg target
		if err := tg.connect(tf); err != nil {
			t.Fatal(err)
		}
		if tg.namespace != c.want {
			t.Errorf("-n %q: namespace %q, want %q", c.ns, tg.namespace, c.want)
		}
	}
}
