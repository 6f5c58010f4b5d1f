//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/events"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// eventDeadline is how soon after a change the issue wants it reported.
const eventDeadline = 5 * time.Second

// probePod passes Pod Security "restricted" and turns ready when /tmp/ready exists.
func probePod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: stack.Namespace, Labels: map[string]string{"role": "events-probe"}},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](10000),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name: "probe", Image: "busybox:1.36", ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"sleep", "3600"},
				ReadinessProbe: &corev1.Probe{PeriodSeconds: 1, ProbeHandler: corev1.ProbeHandler{
					Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/ready"}}}},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
				VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
			}},
			Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
}

// waitEvent polls `kubectl stack events` until a line of the probe pod
// matches, or the deadline passes.
func waitEvent(t *testing.T, pod, event, contains string) {
	t.Helper()
	deadline := time.Now().Add(eventDeadline)
	var last string
	for time.Now().Before(deadline) {
		r := kubectl(t, time.Minute, "stack", "events", "--pod", "^"+pod+"$", "--type", event, "-o", "json")
		if r.code != 0 {
			t.Fatalf("kubectl stack events: exit %d: %s", r.code, r.stderr)
		}
		last = r.stdout
		// -o json prints one document per event.
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		for {
			var ev events.Event
			if err := dec.Decode(&ev); err != nil {
				break
			}
			if strings.Contains(strings.Join(ev.Changes, ";")+" "+ev.Pod, contains) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no %s event of %s containing %q within %s; events:\n%s", event, pod, contains, eventDeadline, last)
}

func eventsReported(t *testing.T) {
	ctx := context.Background()
	pods := env.client.CoreV1().Pods(stack.Namespace)
	const name = "events-probe"
	if _, err := pods.Create(ctx, probePod(name), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, name, "created", name)

	patch := []byte(`{"metadata":{"labels":{"changed":"yes"}}}`)
	if _, err := pods.Patch(ctx, name, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, name, "updated", "changed:yes")

	waitRunning(t, name)
	mustKubectl(t, time.Minute, "-n", stack.Namespace, "exec", name, "--", "touch", "/tmp/ready")
	waitReady(t, name)
	waitEvent(t, name, "updated", "ready: false -> true")

	if err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, name)
	waitEvent(t, name, "deleted", name)

	text := mustKubectl(t, time.Minute, "stack", "events", "--pod", "^"+name+"$")
	for _, want := range []string{"created", "updated", "deleted", stack.Namespace + "/" + name, "ready: false -> true"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitForWithin(t, 2*time.Minute, what, cond)
}

// waitForWithin polls cond until it holds or the time runs out.
func waitForWithin(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitRunning(t *testing.T, name string) {
	waitFor(t, name+" running", func() bool {
		p, err := env.client.CoreV1().Pods(stack.Namespace).Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning
	})
}

func waitReady(t *testing.T, name string) {
	waitFor(t, name+" ready", func() bool {
		p, err := env.client.CoreV1().Pods(stack.Namespace).Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && podReady(p)
	})
}

func waitGone(t *testing.T, name string) {
	waitFor(t, name+" gone", func() bool {
		_, err := env.client.CoreV1().Pods(stack.Namespace).Get(context.Background(), name, metav1.GetOptions{})
		return err != nil
	})
}

// `kubectl stack events -f` streams a pod created after it started, keeps
// going when the watcher pod is replaced (the new pod's lines join the
// stream), and Ctrl-C ends it with exit status 0.
func eventsFollow(t *testing.T) {
	cmd, stdout := startKubectl(t, "stack", "events", "-f", "--type", "created", "--pod", "^follow-probe")
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Give the stream a moment to attach before the pod appears.
	time.Sleep(2 * time.Second)
	createAndExpect(t, lines, "follow-probe-1")

	old := pods(t, stack.Watcher)[0]
	if err := env.client.CoreV1().Pods(stack.Namespace).Delete(context.Background(), old.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher's replacement", func() bool {
		for _, p := range pods(t, stack.Watcher) {
			if p.UID != old.UID && podReady(&p) {
				return true
			}
		}
		return false
	})
	createAndExpect(t, lines, "follow-probe-2")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("events -f after Ctrl-C: %v, want exit status 0", err)
	}
}

// createAndExpect creates a probe pod and waits for its creation line on
// the -f stream.
func createAndExpect(t *testing.T, lines <-chan string, name string) {
	t.Helper()
	pods := env.client.CoreV1().Pods(stack.Namespace)
	if _, err := pods.Create(context.Background(), probePod(name), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = pods.Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("events -f ended before %s was created", name)
			}
			if strings.Contains(line, "created") && strings.Contains(line, name) {
				return
			}
		case <-timeout:
			t.Fatalf("events -f did not show the creation of %s", name)
		}
	}
}
