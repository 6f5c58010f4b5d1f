// Command watcher benchmarks the pod watcher on hack/'s local cluster with
// kwok-simulated nodes: its resident memory with PODS_ON_NODE pods on its
// node and TOTAL in the cluster, against a plain informer (no field selector,
// no transform) measured in the same run, and its create-to-log latency at a
// steady rate of pod creations. It prints one table. Run it through
// hack/bench/watcher.sh, which brings the cluster up and down.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/events"
	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
)

const namespace = "bench"

func main() {
	plain := flag.Bool("plain-informer", false, "(internal) run the baseline informer and wait")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	onNode := flag.Int("pods-on-node", 2000, "pods on the watcher's node")
	total := flag.Int("total", 10000, "pods in the cluster")
	rate := flag.Int("rate", 100, "pod creations per second in the latency run")
	samples := flag.Int("samples", 1000, "pods created in the latency run")
	flag.Parse()
	var err error
	if *plain {
		err = plainInformer(*kubeconfig)
	} else {
		err = run(*kubeconfig, *onNode, *total, *rate, *samples)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// plainInformer is what a user would write first: every pod of the
// cluster, every field kept.
func plainInformer(kubeconfig string) error {
	c, err := kit.Client(kubeconfig)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(c, 10*time.Minute)
	inf := factory.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) {}})
	stop := make(chan struct{})
	factory.Start(stop)
	cache.WaitForCacheSync(stop, inf.HasSynced)
	fmt.Println("synced")
	select {}
}

func run(kubeconfig string, onNode, total, rate, samples int) error {
	ctx := context.Background()
	c, err := kit.Client(kubeconfig)
	if err != nil {
		return err
	}
	nodes, err := localcluster.AddSimulatedNodes(ctx, filepath.Dir(kubeconfig), 5)
	if err != nil {
		return err
	}
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	start := time.Now()
	if err := createPods(ctx, c, "fill", nodes, onNode, total); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "created %d pods (%d on %s) in %s\n", total, onNode, nodes[0], time.Since(start).Round(time.Second))

	watcher, lines, err := startWatcher(kubeconfig, nodes[0])
	if err != nil {
		return err
	}
	defer stop(watcher)
	if err := awaitInitialList(lines, onNode); err != nil {
		return err
	}
	baseline, err := startPlain(kubeconfig)
	if err != nil {
		return err
	}
	defer stop(baseline)
	// Both have listed everything; let the runtimes settle before reading RSS.
	time.Sleep(10 * time.Second)
	watcherRSS, baseRSS := rss(watcher.Process.Pid), rss(baseline.Process.Pid)

	latencies, err := latencyRun(ctx, c, nodes[0], lines, rate, samples)
	if err != nil {
		return err
	}
	return report(onNode, total, watcherRSS, baseRSS, rate, latencies)
}

func pod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"app": "bench"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}},
	}
}

// createPods creates total pods, onNode of them on nodes[0], the rest spread
// over the other nodes.
func createPods(ctx context.Context, c kubernetes.Interface, prefix string, nodes []string, onNode, total int) error {
	return kit.CreatePods(ctx, c, total, func(i int) *corev1.Pod {
		node := nodes[0]
		if i >= onNode {
			node = nodes[1+i%(len(nodes)-1)]
		}
		return pod(fmt.Sprintf("%s-%d", prefix, i), node)
	})
}

func startWatcher(kubeconfig, node string) (*exec.Cmd, <-chan events.Event, error) {
	bin := filepath.Join(os.TempDir(), "kubectl-stack-bench-watcher")
	if out, err := exec.Command("go", "build", "-o", bin, "./watcher").CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("building the watcher: %v: %s", err, out)
	}
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "NODE_NAME="+node)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	lines := make(chan events.Event, 100000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if ev, ok, err := events.Parse(sc.Text()); err == nil && ok && ev.Event == "created" {
				ev.Time = time.Now() // arrival here, not the watcher's own clock
				lines <- ev
			}
		}
	}()
	return cmd, lines, nil
}

func startPlain(kubeconfig string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "--plain-informer", "--kubeconfig", kubeconfig)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "synced" {
		return nil, fmt.Errorf("plain informer did not sync: %q %v", line, err)
	}
	return cmd, nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// rss reads a process's resident set size in bytes.
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

// awaitInitialList takes the watcher's lines for the pods it found on its
// node: with all of them in, its cache is full and its memory is what it
// keeps (a slow first list, measured before this, looked smaller).
func awaitInitialList(lines <-chan events.Event, pods int) error {
	timeout := time.After(5 * time.Minute)
	for seen := 0; seen < pods; seen++ {
		select {
		case <-lines:
		case <-timeout:
			return fmt.Errorf("the watcher logged %d of the %d pods on its node in 5 minutes", seen, pods)
		}
	}
	return nil
}

// latencyRun creates samples pods on the watcher's node at rate per second
// and measures from each create call to the watcher's line for it.
func latencyRun(ctx context.Context, c kubernetes.Interface, node string, lines <-chan events.Event, rate, samples int) ([]time.Duration, error) {
	// Drop any line left of the initial list.
	for drained := false; !drained; {
		select {
		case <-lines:
		case <-time.After(2 * time.Second):
			drained = true
		}
	}
	sent := make(map[string]time.Time, samples)
	var mu sync.Mutex
	go func() {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := 0; i < samples; i++ {
			<-tick.C
			name := fmt.Sprintf("lat-%d", i)
			mu.Lock()
			sent[name] = time.Now()
			mu.Unlock()
			go func() { _, _ = c.CoreV1().Pods(namespace).Create(ctx, pod(name, node), metav1.CreateOptions{}) }()
		}
	}()
	var out []time.Duration
	timeout := time.After(time.Duration(samples/rate)*time.Second + time.Minute)
	for len(out) < samples {
		select {
		case ev := <-lines:
			mu.Lock()
			t0, ok := sent[ev.Pod]
			mu.Unlock()
			if ok {
				out = append(out, ev.Time.Sub(t0))
			}
		case <-timeout:
			return out, fmt.Errorf("only %d of %d creations logged", len(out), samples)
		}
	}
	return out, nil
}

func report(onNode, total int, watcherRSS, baseRSS int64, rate int, lat []time.Duration) error {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) string { return lat[int(p*float64(len(lat)-1))].Round(time.Millisecond).String() }
	host, _ := os.Hostname()
	fmt.Printf("watcher benchmark (%d pods on its node, %d in the cluster; %s)\n", onNode, total, host)
	err := kit.Record(kit.Row{What: fmt.Sprintf("watcher memory, %d pods on its node, %d in cluster", onNode, total),
		Median: kit.MiB(watcherRSS), Spread: "-", Anchor: "plain informer", AnchorMedian: kit.MiB(baseRSS),
		Ratio: fmt.Sprintf("%.2fx", float64(watcherRSS)/float64(baseRSS)), Target: "<= 40 MiB and <= 0.3x"})
	if err != nil {
		return err
	}
	return kit.Record(kit.Row{What: fmt.Sprintf("watcher create-to-log latency at %d/s, %d pods on its node", rate, onNode),
		Median: q(0.50), Spread: "p99 " + q(0.99), Anchor: "-", AnchorMedian: "-", Ratio: "p99 " + q(0.99), Target: "p99 <= 1s"})
}
