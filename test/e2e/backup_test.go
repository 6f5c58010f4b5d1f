//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// seedSQL fills two databases with four tables, a view, a trigger, a
// function and a procedure, over 10 MB of dump: a digits table
// cross-joined with itself makes the rows in the server.
const seedSQL = `
DROP DATABASE IF EXISTS shop;
DROP DATABASE IF EXISTS ledger;
CREATE DATABASE shop;
CREATE TABLE shop.digits (n INT PRIMARY KEY);
INSERT INTO shop.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
CREATE TABLE shop.orders (id INT PRIMARY KEY, ref CHAR(64), note VARCHAR(200));
INSERT INTO shop.orders SELECT a.n*10000+b.n*1000+c.n*100+d.n*10+e.n, SHA2(a.n*10000+b.n*1000+c.n*100+d.n*10+e.n, 256), REPEAT(MD5(a.n+b.n*7+c.n*13), 3)
  FROM shop.digits a, shop.digits b, shop.digits c, shop.digits d, shop.digits e;
CREATE DATABASE ledger;
CREATE TABLE ledger.entries (id INT PRIMARY KEY, amount DECIMAL(12,2), memo TEXT);
INSERT INTO ledger.entries SELECT id, id * 1.25, CONCAT(ref, note) FROM shop.orders WHERE id < 60000;
CREATE TABLE ledger.audit (id INT AUTO_INCREMENT PRIMARY KEY, entry INT, amount DECIMAL(12,2));
CREATE TRIGGER ledger.entries_audit AFTER UPDATE ON ledger.entries FOR EACH ROW INSERT INTO ledger.audit (entry, amount) VALUES (NEW.id, NEW.amount);
UPDATE ledger.entries SET amount = amount + 1 WHERE id < 500;
CREATE VIEW ledger.large AS SELECT id, amount FROM ledger.entries WHERE amount > 50000;
CREATE FUNCTION shop.doubled(n INT) RETURNS INT DETERMINISTIC RETURN n * 2;
CREATE PROCEDURE shop.order_count() SELECT COUNT(*) FROM shop.orders;
`

const checksumSQL = "CHECKSUM TABLE shop.digits, shop.orders, ledger.entries, ledger.audit"

// backupRoundTrip backs up over 10 MB, drops the databases, restores, and
// compares the server's table checksums before and after.
func backupRoundTrip(t *testing.T) {
	sql(t, seedSQL)
	before := sql(t, checksumSQL)
	dir := t.TempDir()
	file := filepath.Join(dir, "round.sql.gz")
	out := mustKubectl(t, 5*time.Minute, "stack", "backup", file)
	t.Logf("backup: %s", out)
	check := exec.Command("sha256sum", "-c", filepath.Base(backupSum(file)))
	check.Dir = dir
	if msg, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c of the backup: %v: %s", err, msg)
	}
	if r := kubectl(t, time.Minute, "stack", "restore", file); r.code == 0 || !strings.Contains(r.stderr, "pass --yes") {
		t.Fatalf("restore without a terminal or --yes: exit %d: %s", r.code, r.stderr)
	}

	sql(t, "DROP DATABASE shop; DROP DATABASE ledger")
	out = mustKubectl(t, 5*time.Minute, "stack", "restore", file, "--yes")
	t.Logf("restore:\n%s", out)
	counts := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			counts[f[0]] = f[1] + " tables, " + f[2] + " rows"
		}
	}
	if counts["shop"] != "2 tables, 100010 rows" || counts["ledger"] != "2 tables, 60500 rows" {
		t.Errorf("restore counts %v, want shop 2/100010 and ledger 2/60500", counts)
	}
	if after := sql(t, checksumSQL); after != before {
		t.Fatalf("checksums differ after the restore:\nbefore %s\nafter  %s", before, after)
	}
}

func backupSum(file string) string { return file + ".sha256" }

// scriptEnv puts the cluster's kubectl first on PATH, for hack/'s scripts.
func scriptEnv() []string {
	return append(os.Environ(), "KUBECONFIG="+env.kubeconfig, "PATH="+env.binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// plainScriptBackup: hack/mysql-backup.sh, for users without the plugin,
// writes a dump that the plugin verifies and restores.
func plainScriptBackup(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain.sql.gz")
	script := exec.Command("../../hack/mysql-backup.sh", file)
	script.Env = scriptEnv()
	if out, err := script.CombinedOutput(); err != nil {
		// kubectl exec over WebSocket drops a large stream now and then
		// (kubernetes/kubernetes#60140); the script then fails and leaves no
		// file, as it should. Once more, and the second failure counts.
		t.Logf("hack/mysql-backup.sh failed once, trying again: %v\n%s", err, out)
		script = exec.Command(script.Path, script.Args[1:]...)
		script.Env = scriptEnv()
		if out, err := script.CombinedOutput(); err != nil {
			t.Fatalf("hack/mysql-backup.sh: %v\n%s", err, out)
		}
	}
	before := sql(t, checksumSQL)
	mustKubectl(t, 5*time.Minute, "stack", "restore", file, "--yes")
	if after := sql(t, checksumSQL); after != before {
		t.Fatalf("restoring the script's dump changed the data:\nbefore %s\nafter  %s", before, after)
	}
}

// backupFailsCleanly: Ctrl-C in the middle, the database pod deleted in the
// middle, a flipped byte, a wrong namespace and an unready pod each end in a
// clear error with no file left and nothing changed.
func backupFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	interrupted := filepath.Join(dir, "interrupted.sql.gz")
	cmd, _ := startKubectl(t, "stack", "backup", interrupted)
	waitPartial(t, dir)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("backup interrupted by Ctrl-C exited 0")
	}
	noFiles(t, dir)

	victim := filepath.Join(dir, "victim.sql.gz")
	old, err := env.client.CoreV1().Pods(stack.Namespace).Get(context.Background(), stack.MySQLPod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ = startKubectl(t, "stack", "backup", victim)
	waitPartial(t, dir)
	if err := env.client.CoreV1().Pods(stack.Namespace).Delete(context.Background(), stack.MySQLPod, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("backup whose database pod was deleted exited 0")
	}
	noFiles(t, dir)
	// The new pod is starting: a backup now names the reason.
	if r := kubectl(t, time.Minute, "stack", "backup", filepath.Join(dir, "early.sql.gz")); r.code == 0 ||
		!(strings.Contains(r.stderr, "is not ready") || strings.Contains(r.stderr, "no database pod")) {
		t.Errorf("backup while mysql-0 restarts: exit %d: %s", r.code, r.stderr)
	}
	noFiles(t, dir)
	waitFor(t, "a new ready "+stack.MySQLPod, func() bool {
		p, err := env.client.CoreV1().Pods(stack.Namespace).Get(context.Background(), stack.MySQLPod, metav1.GetOptions{})
		return err == nil && p.UID != old.UID && podReady(p)
	})

	if r := kubectl(t, time.Minute, "stack", "backup", "-n", "default", filepath.Join(dir, "wrong.sql.gz")); r.code != 3 ||
		!strings.Contains(r.stderr, `no stack in namespace "default" (no database pod mysql-0)`) {
		t.Errorf("backup -n default: exit %d: %s", r.code, r.stderr)
	}
	noFiles(t, dir)

	var data []byte
	good := filepath.Join(dir, "good.sql.gz")
	mustKubectl(t, 5*time.Minute, "stack", "backup", good)
	if r := kubectl(t, time.Minute, "stack", "backup", good); r.code == 0 || !strings.Contains(r.stderr, "pass --force") {
		t.Errorf("backup over an existing file: exit %d: %s", r.code, r.stderr)
	}
	data, err = os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(good, data, 0o600); err != nil {
		t.Fatal(err)
	}
	before := sql(t, checksumSQL)
	if r := kubectl(t, time.Minute, "stack", "restore", good, "--yes"); r.code == 0 || !strings.Contains(r.stderr, "does not match its checksum") {
		t.Errorf("restore of a flipped byte: exit %d: %s", r.code, r.stderr)
	}
	if after := sql(t, checksumSQL); after != before {
		t.Errorf("a refused restore changed the data")
	}
}

// backupIntoFullDisk backs up into a 2 MiB tmpfs: the error is the local
// disk's, with the path, and not a "run again".
func backupIntoFullDisk(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		t.Fatalf("mounting a 2 MiB tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	r := kubectl(t, 5*time.Minute, "stack", "backup", filepath.Join(dir, "full.sql.gz"))
	if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") || !strings.Contains(r.stderr, dir) ||
		!strings.Contains(r.stderr, "free space there") || strings.Contains(r.stderr, "run again") {
		t.Errorf("backup into a full disk: exit %d: %s", r.code, r.stderr)
	}
	noFiles(t, dir)
}

// waitPartial waits until a backup's hidden temporary file has data in it,
// looking often: the whole dump takes about a second.
func waitPartial(t *testing.T, dir string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		partial, _ := filepath.Glob(filepath.Join(dir, ".*.partial-*"))
		for _, p := range partial {
			if info, err := os.Stat(p); err == nil && info.Size() > 0 {
				return
			}
		}
	}
	t.Fatal("no backup started streaming within a minute")
}

// noFiles fails if dir holds anything but complete backups named good*.
func noFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "good") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
