//go:build integration

package integration

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/pkg/events"
)

// The watcher survives an API server crash: a pod created and a pod deleted
// while its API server is down (through a second API server on the same
// etcd) are both reported once it reconnects.
func TestWatcherReportsWhatHappenedDuringAnOutage(t *testing.T) {
	ctx := context.Background()
	second, err := cp.StartSecondAPIServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := clientFor(t, second)
	lines := runWatcher(t, "--all-nodes")
	pods := other.CoreV1().Pods("default")

	if _, err := pods.Create(ctx, testPod("before-outage"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectLines(t, lines, "created before-outage")

	err = cp.RestartAPIServer(ctx, func() error {
		if _, err := pods.Create(ctx, testPod("during-outage"), metav1.CreateOptions{}); err != nil {
			return err
		}
		return pods.Delete(ctx, "before-outage", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	})
	if err != nil {
		t.Fatal(err)
	}
	// After a relist the two may come in either order.
	expectLines(t, lines, "created during-outage", "deleted before-outage")
}

// A watcher given a namespace (the DaemonSet gives its own) reports the
// pods of that namespace only: a pod of another namespace created first
// would otherwise come first on the one watch stream.
func TestWatcherWatchesItsNamespaceOnly(t *testing.T) {
	ctx := context.Background()
	client := clientFor(t, cp.Kubeconfig)
	for _, ns := range []string{"watched", "other-stack"} {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	lines := runWatcher(t, "--all-nodes", "--namespace", "watched")
	if _, err := client.CoreV1().Pods("other-stack").Create(ctx, testPod("not-mine"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Pods("watched").Create(ctx, testPod("mine"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var ev events.Event
	select {
	case ev = <-lines:
	case <-time.After(time.Minute):
		t.Fatal("the watcher reported nothing in a minute")
	}
	if ev.Event+" "+ev.Pod != "created mine" || ev.Namespace != "watched" {
		t.Fatalf("first line: %s %s/%s, want created watched/mine", ev.Event, ev.Namespace, ev.Pod)
	}
}

func clientFor(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg)
}

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
	}
}

// runWatcher builds and starts the watcher against the first API server,
// with args, and returns its pod events as they come.
func runWatcher(t *testing.T, args ...string) <-chan events.Event {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "watcher")
	if out, err := exec.Command("go", "build", "-o", bin, "../../watcher").CombinedOutput(); err != nil {
		t.Fatalf("building the watcher: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append(args, "--kubeconfig", cp.Kubeconfig, "--listen", "127.0.0.1:0")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	out := make(chan events.Event, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if ev, ok, err := events.Parse(sc.Text()); err == nil && ok {
				out <- ev
			}
		}
	}()
	return out
}

// expectLines waits for the watcher's lines "EVENT POD", in any order. The
// wait covers client-go's reconnect back-off after an outage.
func expectLines(t *testing.T, lines <-chan events.Event, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	timeout := time.After(time.Minute)
	var seen []string
	for len(missing) > 0 {
		select {
		case ev := <-lines:
			line := ev.Event + " " + ev.Pod
			delete(missing, line)
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("watcher lines missing: %v; saw: %s", missing, strings.Join(seen, ", "))
		}
	}
}
