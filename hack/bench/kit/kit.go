// Package kit holds what the benchmarks under hack/bench share: a client
// for the local cluster, parallel pod creation, and timing against an
// anchor command measured in the same run.
package kit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Client is a client of the cluster in kubeconfig, allowed to create
// objects quickly.
func Client(kubeconfig string) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	return kubernetes.NewForConfig(cfg)
}

// Kubectl is the kubectl to compare with: $KUBECTL (hack/bench/with-cluster.sh
// sets it to the cluster's own), else the one on PATH.
func Kubectl() string {
	if k := os.Getenv("KUBECTL"); k != "" {
		return k
	}
	return "kubectl"
}

// CreatePods creates pod(0) ... pod(n-1) with a few workers in parallel.
func CreatePods(ctx context.Context, c kubernetes.Interface, n int, pod func(i int) *corev1.Pod) error {
	work := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p := pod(i)
				if _, err := c.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			close(work)
			return err
		case work <- i:
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// Runs are the wall-clock times of several runs of one command.
type Runs []time.Duration

// Median is the middle run.
func (r Runs) Median() time.Duration {
	s := append(Runs(nil), r...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// Spread is the fastest and slowest run.
func (r Runs) Spread() string {
	s := append(Runs(nil), r...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return fmt.Sprintf("%s..%s", ms(s[0]), ms(s[len(s)-1]))
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// Compare times the command and its anchor alternately, n times each, so
// both see the same machine and cluster. okCodes are the exit codes that
// count as a run of cmd (status exits 1 for an unhealthy stack).
func Compare(n int, cmd, anchor []string, okCodes ...int) (Runs, Runs, error) {
	mine, theirs, err := CompareAfter(n, nil, cmd, anchor, okCodes...)
	return mine.Times, theirs.Times, err
}

// Side is one command's runs: their times and the largest peak memory.
type Side struct {
	Times   Runs
	PeakRSS int64
}

// CompareAfter is Compare with before (when not nil) run untimed ahead of
// each run of either side, and each side's peak memory kept.
func CompareAfter(n int, before, cmd, anchor []string, okCodes ...int) (Side, Side, error) {
	var mine, theirs Side
	for i := 0; i < n; i++ {
		for _, side := range []struct {
			argv  []string
			into  *Side
			codes []int
		}{{cmd, &mine, okCodes}, {anchor, &theirs, nil}} {
			if before != nil {
				if _, err := Time(before); err != nil {
					return mine, theirs, err
				}
			}
			r, err := Exec(side.argv, side.codes...)
			if err != nil {
				return mine, theirs, err
			}
			side.into.Times = append(side.into.Times, r.Took)
			side.into.PeakRSS = max(side.into.PeakRSS, r.PeakRSS)
		}
	}
	return mine, theirs, nil
}

// Time runs argv once, output discarded, and returns its wall-clock time.
func Time(argv []string, okCodes ...int) (time.Duration, error) {
	r, err := Exec(argv, okCodes...)
	return r.Took, err
}

// Result is one run of a command: its wall-clock time, and its peak
// resident memory in bytes: the largest of the process and of every child
// it waited for (wait4's ru_maxrss), so a pipeline's is its largest part's.
type Result struct {
	Took    time.Duration
	PeakRSS int64
}

// Exec runs argv once, output discarded.
func Exec(argv []string, okCodes ...int) (Result, error) {
	start := time.Now()
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	r := Result{Took: time.Since(start)}
	if cmd.ProcessState != nil {
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.PeakRSS = u.Maxrss * 1024 // kilobytes on Linux
		}
	}
	if exit, ok := err.(*exec.ExitError); ok {
		for _, c := range okCodes {
			if exit.ExitCode() == c {
				return r, nil
			}
		}
	}
	if err != nil {
		return r, fmt.Errorf("%v: %v: %s", argv, err, lastLine(out))
	}
	return r, nil
}

// MiB formats bytes as the memory rows show them.
func MiB(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

func lastLine(out []byte) string {
	if len(out) > 300 {
		out = out[len(out)-300:]
	}
	return string(out)
}

// Ratio formats mine/theirs of the medians.
func Ratio(mine, theirs Runs) string {
	return fmt.Sprintf("%.2fx", float64(mine.Median())/float64(theirs.Median()))
}

// Row is one figure of the benchmark table: a median and spread measured
// beside an anchor (the command a user would otherwise run), their ratio,
// and the target the ratio is held to.
type Row struct {
	What, Median, Spread, Anchor, AnchorMedian, Ratio, Target string
}

// Record prints the row and, when BENCH_RESULTS names a file, appends it
// there as one tab-separated line for hack/bench/report.
func Record(r Row) error {
	fmt.Printf("%-52s %-10s %-20s %-10s %-10s %s\n", r.What, r.Median, r.Spread, r.AnchorMedian, r.Ratio, r.Target)
	path := os.Getenv("BENCH_RESULTS")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, strings.Join([]string{r.What, r.Median, r.Spread, r.Anchor, r.AnchorMedian, r.Ratio, r.Target}, "\t"))
	return err
}

// TimedRow is the row of a command timed against its anchor.
func TimedRow(what string, mine, theirs Runs, anchor, target string) Row {
	return Row{What: what, Median: ms(mine.Median()), Spread: mine.Spread(), Anchor: anchor,
		AnchorMedian: ms(theirs.Median()), Ratio: Ratio(mine, theirs), Target: target}
}
