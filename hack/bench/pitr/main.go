// Command pitr measures point-in-time recovery on the dev stack, with the
// binary log archiver (`kubectl-stack archive-binlogs`, the code the
// binlog-archive component runs) storing into a versitygw:
//   - the recovery point: from a committed row to its binary log in the
//     bucket, median and p99 over N writes (target: p99 <= 60 s);
//   - the replay rate: the row changes a `restore --to-position` replays
//     per second, against `mysqlbinlog FILES | mysql` run by hand in the
//     database pod on the server's own files, from the same restored
//     backup, measured alternately in the same run.
//
// Run it through hack/bench/pitr.sh, which brings the cluster up and
// removes it.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl (default: $KUBECTL, else kubectl)")
	writes := flag.Int("writes", 100, "writes whose recovery point is measured")
	rows := flag.Int("rows", 1000000, "rows changed after the backup, for the replay rate")
	runs := flag.Int("runs", 3, "runs of each replay")
	flag.Parse()
	b := &bench{kubeconfig: *kubeconfig, kubectl: *kubectl}
	err := b.run(*writes, *rows, *runs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
	}
	b.cleanup()
	if err != nil {
		os.Exit(1)
	}
}

type bench struct {
	kubeconfig, kubectl, plugin, dir, loc string
	store                                 *kit.Store
	stops                                 []func()
}

func (b *bench) cleanup() {
	for i := len(b.stops) - 1; i >= 0; i-- {
		b.stops[i]()
	}
}

func (b *bench) run(writes, rows, runs int) error {
	var err error
	if b.dir, err = os.MkdirTemp("", "kubectl-stack-bench-pitr-"); err != nil {
		return err
	}
	b.stops = append(b.stops, func() { os.RemoveAll(b.dir) })
	if b.plugin, err = kit.BuildPlugin(".", b.dir); err != nil {
		return err
	}
	if b.store, err = kit.StartStore(b.dir); err != nil {
		return err
	}
	b.stops = append(b.stops, b.store.Stop)
	b.loc = "s3://" + kit.StoreBucket + "/pitr"
	if out, err := b.stack("apply", "-k", kit.Overlay, "--timeout=5m").CombinedOutput(); err != nil {
		return fmt.Errorf("applying %s: %v: %s", kit.Overlay, err, out)
	}
	if _, err := b.sql("CREATE DATABASE bench; CREATE TABLE bench.w (id INT PRIMARY KEY, at VARCHAR(32));" +
		"CREATE TABLE bench.digits (n INT PRIMARY KEY); INSERT INTO bench.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);" +
		"CREATE TABLE bench.r (id INT PRIMARY KEY, payload VARCHAR(100));" +
		"CREATE USER IF NOT EXISTS 'binlog_archiver'@'%' IDENTIFIED BY 'bench-only'; GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'binlog_archiver'@'%'"); err != nil {
		return err
	}
	if err := b.startArchiver(); err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("point-in-time benchmark: the dev stack's MariaDB, the archiver at --interval 10s into versitygw; %s\n", host)
	if err := b.recoveryPoint(writes); err != nil {
		return err
	}
	return b.replayRate(rows, runs)
}

// stack is the plugin with the cluster's kubeconfig and the store's
// credentials.
func (b *bench) stack(args ...string) *exec.Cmd {
	cmd := exec.Command(b.plugin, append([]string{"--kubeconfig", b.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), b.store.Env()...)
	return cmd
}

// sql runs statements as root in the database pod and returns the output.
func (b *bench) sql(statements string) (string, error) {
	cmd := exec.Command(b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "exec", "-i", stack.MySQLPod, "-c", stack.MySQLContainer, "--",
		"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -N -B`)
	cmd.Stdin = strings.NewReader(statements + ";\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return string(out), nil
}

// startArchiver runs the archiver here, reaching the database through a
// port-forward (a NetworkPolicy does not apply to it), as the user above.
func (b *bench) startArchiver() error {
	pf := exec.Command(b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "port-forward", "pod/"+stack.MySQLPod, ":3306")
	out, err := pf.StdoutPipe()
	if err != nil {
		return err
	}
	if err := pf.Start(); err != nil {
		return err
	}
	b.stops = append(b.stops, func() { _ = pf.Process.Kill(); _ = pf.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	m := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("port-forward to %s: %q", stack.MySQLPod, line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	a := b.stack("archive-binlogs", "--to", b.loc, "--mysql-address", "127.0.0.1:"+m[1], "--interval", "10s", "--status-configmap", "", "--metrics-address", "")
	a.Env = append(a.Env, "MYSQL_BINLOG_USER=binlog_archiver", "MYSQL_BINLOG_PASSWORD=bench-only")
	log, err := os.Create(filepath.Join(b.dir, "archiver.log"))
	if err != nil {
		return err
	}
	a.Stdout, a.Stderr = log, log
	if err := a.Start(); err != nil {
		return err
	}
	b.stops = append(b.stops, func() { _ = a.Process.Signal(os.Interrupt); _ = a.Wait(); log.Close() })
	return nil
}

// recoveryPoint commits a row every half second through one client
// session, notes where each commit ends in the binary logs, and watches
// the bucket for the chunk that holds it.
func (b *bench) recoveryPoint(writes int) error {
	for _, kv := range b.store.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	loc, err := location.Parse(b.loc, location.S3Options{Endpoint: "http://" + b.store.Addr, PathStyle: true})
	if err != nil {
		return err
	}
	client := exec.Command(b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "exec", "-i", stack.MySQLPod, "-c", stack.MySQLContainer, "--",
		"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mysql -uroot -N -B --unbuffered`)
	in, _ := client.StdinPipe()
	outPipe, _ := client.StdoutPipe()
	if err := client.Start(); err != nil {
		return err
	}
	defer func() { in.Close(); _ = client.Wait() }()
	out := bufio.NewReader(outPipe)
	w := &watch{loc: loc}
	done := make(chan error, 1)
	stop := make(chan struct{})
	go func() { done <- w.poll(stop, 5*time.Minute) }()
	for i := 0; i < writes; i++ {
		fmt.Fprintf(in, "INSERT INTO bench.w VALUES (%d, NOW(6)); SHOW MASTER STATUS;\n", i)
		line, err := out.ReadString('\n')
		if err != nil {
			close(stop)
			return fmt.Errorf("the client session: %w", err)
		}
		f := strings.Fields(line)
		pos, _ := strconv.ParseUint(f[1], 10, 32)
		w.add(binlog.Position{File: f[0], Pos: uint32(pos)}, time.Now())
		time.Sleep(500 * time.Millisecond) // the writes' pace, not a wait for anything
	}
	close(stop)
	if err := <-done; err != nil {
		return err
	}
	delays := w.delays
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	median, p99 := delays[len(delays)/2], delays[(len(delays)*99+99)/100-1]
	round := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	return kit.Record(kit.Row{What: fmt.Sprintf("recovery point: a committed row to the bucket (%d writes)", writes),
		Median: round(median), Spread: round(delays[0]) + ".." + round(delays[len(delays)-1]),
		Anchor: "a nightly backup: up to 24h", AnchorMedian: "12h", Ratio: "p99 " + round(p99), Target: "p99 <= 60s"})
}

// watch polls the bucket while the writes go on, and notes when each
// write's position first shows in the archive.
type watch struct {
	loc    location.Location
	mu     sync.Mutex
	todo   []pending
	delays []time.Duration
}

type pending struct {
	at        binlog.Position
	committed time.Time
}

func (w *watch) add(at binlog.Position, committed time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.todo = append(w.todo, pending{at, committed})
}

// poll reads the archive every 200 ms until stop is closed and every
// write was seen, or the timeout after stop.
func (w *watch) poll(stop <-chan struct{}, timeout time.Duration) error {
	var deadline <-chan time.Time
	stopped := false
	for {
		arc, err := binlog.Read(context.Background(), w.loc)
		if err != nil {
			return err
		}
		seen := time.Now()
		w.mu.Lock()
		left := w.todo[:0]
		for _, p := range w.todo {
			if arc.Holds(p.at) {
				w.delays = append(w.delays, seen.Sub(p.committed))
			} else {
				left = append(left, p)
			}
		}
		w.todo = left
		n := len(left)
		w.mu.Unlock()
		if stopped && n == 0 {
			return nil
		}
		select {
		case <-stop:
			stopped, stop, deadline = true, nil, time.After(timeout)
		case <-deadline:
			return fmt.Errorf("%d writes never reached the bucket in %s", n, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// replayRate changes rows after a verified backup, then replays them onto
// the restored backup twice per run: by `restore --to-position`, timed
// from its "replaying" line to its end, and by hand, mysqlbinlog piped
// into mysql in the pod on the server's own files.
func (b *bench) replayRate(rows, runs int) error {
	if out, err := b.stack("backup", "--to", b.loc).CombinedOutput(); err != nil {
		return fmt.Errorf("backup: %v: %s", err, out)
	}
	if out, err := b.stack("backup", "verify", "--from", b.loc).CombinedOutput(); err != nil {
		return fmt.Errorf("backup verify: %v: %s", err, out)
	}
	var batches []string
	for i := 0; i < rows; i += 10000 {
		batches = append(batches, fmt.Sprintf("INSERT INTO bench.r SELECT %d + a.n*1000+b.n*100+c.n*10+d.n, SHA2(a.n*1000+b.n*100+c.n*10+d.n, 256) FROM bench.digits a, bench.digits b, bench.digits c, bench.digits d", i))
	}
	if _, err := b.sql(strings.Join(batches, ";\n")); err != nil {
		return err
	}
	status, err := b.sql("SHOW MASTER STATUS")
	if err != nil {
		return err
	}
	f := strings.Fields(status)
	target := f[0] + ":" + f[1]
	if err := b.waitArchived(target); err != nil {
		return err
	}
	var mine, theirs kit.Runs
	var replayed string
	for i := 0; i < runs; i++ {
		d, summary, err := b.pluginReplay(target)
		if err != nil {
			return err
		}
		mine, replayed = append(mine, d), summary
		d, err = b.handReplay(summary)
		if err != nil {
			return err
		}
		theirs = append(theirs, d)
	}
	changes, err := strconv.Atoi(regexp.MustCompile(`\((\d+) row changes\)`).FindStringSubmatch(replayed)[1])
	if err != nil {
		return err
	}
	rate := func(r kit.Runs) string { return fmt.Sprintf("%.0f rows/s", float64(changes)/r.Median().Seconds()) }
	return kit.Record(kit.Row{What: fmt.Sprintf("replay of %d row changes (restore --to-position)", changes),
		Median: mine.Median().Round(time.Millisecond).String() + " " + rate(mine), Spread: mine.Spread(),
		Anchor: "mysqlbinlog FILES | mysql, in the pod", AnchorMedian: theirs.Median().Round(time.Millisecond).String() + " " + rate(theirs),
		Ratio: kit.Ratio(mine, theirs), Target: "<= 1.1x"})
}

// waitArchived polls the bucket until it holds the position.
func (b *bench) waitArchived(target string) error {
	p, err := binlog.ParsePosition(target)
	if err != nil {
		return err
	}
	loc, err := location.Parse(b.loc, location.S3Options{Endpoint: "http://" + b.store.Addr, PathStyle: true})
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		arc, err := binlog.Read(context.Background(), loc)
		if err != nil {
			return err
		}
		if arc.Holds(p) {
			return nil
		}
	}
	return fmt.Errorf("the archive did not reach %s in 5 minutes", target)
}

var replayedLine = regexp.MustCompile(`replayed \d+ transactions \(\d+ row changes\) from (\S+):(\d+) to (\S+):(\d+)`)

// pluginReplay restores to the target and returns how long the replay
// took (from the "replaying" progress line to the end) and its summary.
func (b *bench) pluginReplay(target string) (time.Duration, string, error) {
	cmd := b.stack("restore", "--from", b.loc, "--to-position", target, "--yes")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	var began time.Time
	var summary string
	sc := bufio.NewScanner(stderr)
	var all strings.Builder
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "replaying the binary logs") {
			began = time.Now()
		}
		if replayedLine.MatchString(sc.Text()) {
			summary = sc.Text()
		}
	}
	if err := cmd.Wait(); err != nil || began.IsZero() || summary == "" {
		return 0, "", fmt.Errorf("restore --to-position %s: %v\n%s", target, err, all.String())
	}
	return time.Since(began), summary, nil
}

// handReplay restores the same backup, then times mysqlbinlog over the
// server's own files from the backup's position to the target.
func (b *bench) handReplay(summary string) (time.Duration, error) {
	m := replayedLine.FindStringSubmatch(summary)
	if out, err := b.stack("restore", "--from", b.loc, "latest", "--yes").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("restore: %v: %s", err, out)
	}
	files := []string{m[1]}
	for f := m[1]; f != m[3]; {
		i := strings.LastIndexByte(f, '.')
		n, _ := strconv.Atoi(f[i+1:])
		f = fmt.Sprintf("%s.%0*d", f[:i], len(f)-i-1, n+1)
		files = append(files, f)
	}
	script := fmt.Sprintf(`cd /var/lib/mysql && mysqlbinlog --start-position=%s --stop-position=%s %s | MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot`, m[2], m[4], strings.Join(files, " "))
	return kit.Time([]string{b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "exec", stack.MySQLPod, "-c", stack.MySQLContainer, "--", "sh", "-c", "set -e; " + script})
}
