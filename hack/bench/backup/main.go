// Command backup benchmarks `kubectl stack backup` and `restore` against
// what a user would otherwise run, on the same data (MB megabytes of rows
// seeded into the dev stack), measured alternately in the same run:
//   - backup to a file vs `kubectl exec mysql-0 -- mysqldump | gzip > file`
//   - backup --to s3:// vs the same pipe into `mc pipe` (a streaming S3
//     uploader built from the module proxy), both into one versitygw
//   - restore into an emptied database vs `gunzip -c | kubectl exec -i
//     mysql-0 -- mysql`
//
// Run it through hack/bench/backup.sh, which brings the cluster up, builds
// mc, and removes it all; the program applies hack/bench/overlay (the dev
// stack on a data folder of its own).
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
	tables := flag.Int("tables", 1, "tables the rows are spread over, each with a secondary index")
	runs := flag.Int("runs", 3, "runs of each command")
	mc := flag.String("mc", os.Getenv("MC"), "the mc binary (default $MC)")
	flag.Parse()
	if err := run(bench{kubeconfig: *kubeconfig, kubectl: *kubectl, mc: *mc, mb: *mb, tables: *tables}, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// bench is what the commands run with, and the rows' shape.
type bench struct {
	kubeconfig, kubectl, mc, plugin, dir string
	store                                *kit.Store
	mb, tables                           int
}

func run(b bench, runs int) error {
	kubeconfig := b.kubeconfig
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b.dir = dir
	if b.plugin, err = kit.BuildPlugin(".", dir); err != nil {
		return err
	}
	if b.store, err = kit.StartStore(dir); err != nil {
		return err
	}
	defer b.store.Stop()
	if out, err := exec.Command(b.plugin, "--kubeconfig", kubeconfig, "apply", "-k", kit.Overlay, "--timeout=5m").CombinedOutput(); err != nil {
		return fmt.Errorf("applying %s: %v: %s", kit.Overlay, err, out)
	}
	start := time.Now()
	if err := b.seed(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d MB in %d tables in %s\n", b.mb, b.tables, time.Since(start).Round(time.Second))
	host, _ := os.Hostname()
	fmt.Printf("backup benchmark: %d MB of rows in %d tables in the dev stack's MariaDB; %d runs each; %s\n", b.mb, b.tables, runs, host)
	for _, r := range b.rows() {
		if err := b.compare(r, runs); err != nil {
			return err
		}
	}
	return nil
}

// row is one comparison. before runs ahead of each run of either side,
// untimed (emptying the database a restore goes into).
type row struct {
	what, anchorName, target string
	before, mine, anchor     []string
}

// compare times the row's command and its anchor alternately, after one
// untimed run of each that warms the server's buffers, and records the
// times and both sides' peak memory.
func (b bench) compare(r row, runs int) error {
	if _, _, err := kit.CompareAfter(1, r.before, r.mine, r.anchor); err != nil {
		return err
	}
	mine, theirs, err := kit.CompareAfter(runs, r.before, r.mine, r.anchor)
	if err != nil {
		return err
	}
	if err := kit.Record(kit.TimedRow(r.what, mine.Times, theirs.Times, r.anchorName, r.target)); err != nil {
		return err
	}
	// Memory the plugin needs must not grow with the data: the same
	// bound at 200 MB and at 2 GB.
	return kit.Record(kit.Row{What: "peak memory: " + r.what, Median: kit.MiB(mine.PeakRSS), Spread: "-",
		Anchor: r.anchorName, AnchorMedian: kit.MiB(theirs.PeakRSS),
		Ratio: fmt.Sprintf("%.2fx", float64(mine.PeakRSS)/float64(theirs.PeakRSS)), Target: "<= 256 MiB"})
}

// size names the rows' data: MB, and tables when more than one.
func (b bench) size() string {
	if b.tables > 1 {
		return fmt.Sprintf("%d MB in %d tables", b.mb, b.tables)
	}
	return fmt.Sprintf("%d MB", b.mb)
}

func (b bench) rows() []row {
	dump := fmt.Sprintf(`%s --kubeconfig %s -n %s exec %s -c %s -- sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqldump -uroot --single-transaction --routines --triggers --events --hex-blob --databases bench "$MYSQL_DATABASE"'`,
		b.kubectl, b.kubeconfig, stack.Namespace, stack.MySQLPod, stack.MySQLContainer)
	load := fmt.Sprintf(`%s --kubeconfig %s -n %s exec -i %s -c %s -- sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot'`,
		b.kubectl, b.kubeconfig, stack.Namespace, stack.MySQLPod, stack.MySQLContainer)
	drop := []string{b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "exec", stack.MySQLPod, "-c", stack.MySQLContainer, "--",
		"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -e "DROP DATABASE IF EXISTS bench"`}
	file, anchorFile := filepath.Join(b.dir, "plugin.sql.gz"), filepath.Join(b.dir, "anchor.sql.gz")
	sh := func(script string) []string { return []string{"bash", "-o", "pipefail", "-c", script} }
	return []row{
		{what: fmt.Sprintf("backup of %s to a file", b.size()), anchorName: "kubectl exec mysql-0 -- mysqldump | gzip > file", target: "<= 0.7x",
			mine:   []string{b.plugin, "--kubeconfig", b.kubeconfig, "backup", file, "--force"},
			anchor: sh(dump + " | gzip > " + anchorFile)},
		{what: fmt.Sprintf("backup of %s to an S3 bucket", b.size()), anchorName: "kubectl exec mysql-0 -- mysqldump | gzip | mc pipe", target: "<= 0.8x",
			mine:   append([]string{"env"}, append(b.store.Env(), b.plugin, "--kubeconfig", b.kubeconfig, "backup", "--to", "s3://"+kit.StoreBucket+"/plugin")...),
			anchor: sh(fmt.Sprintf("%s | gzip | env %s %s pipe bench/%s/anchor.sql.gz", dump, b.store.MCHost(), b.mc, kit.StoreBucket))},
		b.restoreRow(drop, file, sh("gunzip -c "+anchorFile+" | "+load)),
		b.verifyRow(drop, sh(fmt.Sprintf("env %s %s cat bench/%s/anchor.sql.gz | gunzip | %s && %s", b.store.MCHost(), b.mc, kit.StoreBucket, load, b.checksums()))),
	}
}

// restoreRow: one table loads as the anchor does, on one connection; more
// load side by side (the default --parallel: 3 for the bench overlay's 2
// CPUs), which is where the target asks for more. Both start from an
// emptied database, as after a loss.
func (b bench) restoreRow(drop []string, file string, anchor []string) row {
	what, target := fmt.Sprintf("restore of %d MB into an emptied database", b.mb), "<= 1.0x"
	if b.tables > 1 {
		// The target is for gigabytes: at 200 MB the fixed costs
		// (the verify, the safety copy, the execs) are a tenth of the time.
		what = fmt.Sprintf("restore of %d MB in %d tables, 3 at once, into an emptied database", b.mb, b.tables)
		if b.mb >= 2000 {
			target = "<= 0.6x"
		}
	}
	return row{what: what, anchorName: "gunzip -c file | kubectl exec -i mysql-0 -- mysql", target: target, before: drop, anchor: anchor,
		mine: []string{b.plugin, "--kubeconfig", b.kubeconfig, "restore", file, "--yes"}}
}

// verifyRow: backup verify restores the newest backup of the bucket into a
// throwaway server it starts and compares every table's checksum with the
// manifest; the anchor is what a person would do by hand short of starting
// a server: load the same data into the stack's own, emptied, and ask for
// the checksums.
func (b bench) verifyRow(drop, anchor []string) row {
	return row{what: fmt.Sprintf("backup verify of %s from an S3 bucket", b.size()), target: "<= 1.5x", before: drop,
		anchorName: "mc cat | gunzip | kubectl exec -i mysql-0 -- mysql; CHECKSUM TABLE each",
		mine:       append([]string{"env"}, append(b.store.Env(), b.plugin, "--kubeconfig", b.kubeconfig, "backup", "verify", "--from", "s3://"+kit.StoreBucket+"/plugin")...),
		anchor:     anchor}
}

// checksums is the command that asks for every bench table's checksum.
func (b bench) checksums() string {
	tables := make([]string, b.tables)
	for t := range tables {
		tables[t] = fmt.Sprintf("bench.rows_%02d", t)
	}
	return fmt.Sprintf(`%s --kubeconfig %s -n %s exec %s -c %s -- sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -e "CHECKSUM TABLE %s"'`,
		b.kubectl, b.kubeconfig, stack.Namespace, stack.MySQLPod, stack.MySQLContainer, strings.Join(tables, ", "))
}

// seed creates mb megabytes of rows, spread over the tables, in batches
// of about 10 MB (10,000 rows of 1 KB), so no single statement outgrows
// the server's limits. Each table has a secondary index, which a load
// builds as it inserts.
func (b bench) seed() error {
	statements := []string{
		"CREATE DATABASE bench",
		"CREATE TABLE IF NOT EXISTS bench.digits (n INT PRIMARY KEY)",
		"INSERT IGNORE INTO bench.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)",
	}
	for t := 0; t < b.tables; t++ {
		statements = append(statements, fmt.Sprintf("CREATE TABLE IF NOT EXISTS bench.rows_%02d (id INT PRIMARY KEY, tag CHAR(8), payload VARCHAR(1100), KEY (tag))", t))
	}
	for batch := 0; batch < (b.mb+9)/10; batch++ {
		id := "%d + a.n*1000+b.n*100+c.n*10+d.n"
		statements = append(statements, fmt.Sprintf(
			"INSERT INTO bench.rows_%02d SELECT "+id+", LEFT(SHA2("+id+", 256), 8), REPEAT(SHA2("+id+" + RAND(), 256), 16) FROM bench.digits a, bench.digits b, bench.digits c, bench.digits d",
			batch%b.tables, batch*10000, batch*10000, batch*10000))
	}
	if err := sqlExec(b.kubeconfig, b.kubectl, strings.Join(statements, ";\n")+";\n"); err != nil {
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
