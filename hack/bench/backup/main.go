// Command backup benchmarks `kubectl stack backup` against what a user
// would otherwise run, `kubectl exec mysql-0 -- mysqldump ... | gzip > file`,
// on the same data (MB megabytes of rows seeded into the dev stack),
// measured alternately in the same run. Run it through hack/bench/backup.sh,
// which brings the cluster up, applies overlays/dev, and removes it all.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl to compare with (default: $KUBECTL, else kubectl)")
	mb := flag.Int("mb", 200, "megabytes of rows to seed")
	runs := flag.Int("runs", 5, "runs of each command")
	flag.Parse()
	if err := run(*kubeconfig, *kubectl, *mb, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubectl string, mb, runs int) error {
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin := filepath.Join(dir, "kubectl-stack")
	if out, err := exec.Command("go", "build", "-o", plugin, "./cmd/kubectl-stack").CombinedOutput(); err != nil {
		return fmt.Errorf("building the plugin: %v: %s", err, out)
	}
	if out, err := exec.Command(plugin, "--kubeconfig", kubeconfig, "apply", "-k", "overlays/dev", "--timeout=5m").CombinedOutput(); err != nil {
		return fmt.Errorf("applying overlays/dev: %v: %s", err, out)
	}
	start := time.Now()
	if err := seed(kubeconfig, kubectl, mb); err != nil {
		return err
	}
	// The database's hostPath volume outlives the cluster: leave no bench data
	// in it for the next demo or test run.
	defer func() { _ = sqlExec(kubeconfig, kubectl, "DROP DATABASE IF EXISTS bench;\n") }()
	fmt.Fprintf(os.Stderr, "seeded %d MB in %s\n", mb, time.Since(start).Round(time.Second))

	mine := []string{plugin, "--kubeconfig", kubeconfig, "backup", filepath.Join(dir, "plugin.sql.gz"), "--force"}
	anchor := []string{"bash", "-o", "pipefail", "-c", fmt.Sprintf(`%s --kubeconfig %s -n %s exec %s -c %s -- sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqldump -uroot --single-transaction --routines --triggers --events --hex-blob --databases bench "$MYSQL_DATABASE"' | gzip > %s`,
		kubectl, kubeconfig, stack.Namespace, stack.MySQLPod, stack.MySQLContainer, filepath.Join(dir, "anchor.sql.gz"))}
	if _, _, err := kit.Compare(1, mine, anchor); err != nil { // warm the server's buffers
		return err
	}
	plugins, anchors, err := kit.Compare(runs, mine, anchor)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("backup benchmark: %d MB of rows in the dev stack's MariaDB; %d runs each; %s\n", mb, runs, host)
	return kit.Record(kit.TimedRow(fmt.Sprintf("backup of %d MB", mb), plugins, anchors, "kubectl exec mysql-0 -- mysqldump | gzip", "<= 1.1x"))
}

// seed creates mb megabytes of rows in batches of about 10 MB (10,000
// rows of 1 KB), so no single statement outgrows the server's limits.
func seed(kubeconfig, kubectl string, mb int) error {
	statements := []string{
		"DROP DATABASE IF EXISTS bench", // a killed run may have left it
		"CREATE DATABASE bench",
		"CREATE TABLE IF NOT EXISTS bench.digits (n INT PRIMARY KEY)",
		"INSERT IGNORE INTO bench.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)",
		"CREATE TABLE IF NOT EXISTS bench.rows (id INT PRIMARY KEY, payload VARCHAR(1100))",
	}
	for batch := 0; batch < (mb+9)/10; batch++ {
		statements = append(statements, fmt.Sprintf(
			"INSERT INTO bench.rows SELECT %d + a.n*1000+b.n*100+c.n*10+d.n, REPEAT(SHA2(%d + a.n*1000+b.n*100+c.n*10+d.n + RAND(), 256), 16) FROM bench.digits a, bench.digits b, bench.digits c, bench.digits d",
			batch*10000, batch*10000))
	}
	if err := sqlExec(kubeconfig, kubectl, strings.Join(statements, ";\n")+";\n"); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	return nil
}

// sqlExec feeds SQL to the mysql client in the database pod, as root.
func sqlExec(kubeconfig, kubectl, sql string) error {
	cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", stack.Namespace, "exec", "-i", stack.MySQLPod, "-c", stack.MySQLContainer, "--",
		"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot`)
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}
