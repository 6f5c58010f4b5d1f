package main

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func basePod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Labels: map[string]string{"app": "web"}, ResourceVersion: "1"},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.244.0.3",
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}},
		},
	}
}

// Only changes a person cares about make an update line.
func TestChanges(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   string
	}{
		{"resync or heartbeat", func(p *corev1.Pod) { p.ResourceVersion = "2" }, ""},
		{"phase", func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }, "phase: Running -> Failed"},
		{"readiness", func(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }, "ready: true -> false"},
		{"pod IP", func(p *corev1.Pod) { p.Status.PodIP = "10.244.0.9" }, "podIP: 10.244.0.3 -> 10.244.0.9"},
		{"restart", func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = 1 }, "restarts: 0 -> 1"},
		{"container state", func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
		}, "containers: nginx=running -> nginx=waiting:CrashLoopBackOff"},
		{"label", func(p *corev1.Pod) { p.Labels["changed"] = "yes" }, "labels: map[app:web] -> map[app:web changed:yes]"},
		{"deletion", func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }, "deletion started"},
	}
	for _, c := range cases {
		old, updated := basePod(), basePod()
		c.mutate(updated)
		got := strings.Join(changes(state(t, old), state(t, updated)), "; ")
		if got != c.want {
			t.Errorf("%s: changes = %q, want %q", c.name, got, c.want)
		}
	}
}

func state(t *testing.T, p *corev1.Pod) *podState {
	t.Helper()
	obj, err := compact(p)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*podState)
}

// The informer keys its cache by namespace and name and tells a resync by
// the resource version; a line names the pod, its node, phase and IP.
func TestCompactKeepsWhatTheWatcherReads(t *testing.T) {
	p := basePod()
	p.Namespace, p.UID = "k8s-assignment", "u1"
	p.Spec.NodeName = "stack-node"
	s := state(t, p)
	if key, err := cache.MetaNamespaceKeyFunc(s); err != nil || key != "k8s-assignment/web-1" {
		t.Errorf("key = %q, %v", key, err)
	}
	if s.ResourceVersion != "1" || s.UID != "u1" || s.node != "stack-node" || s.phase != "Running" || s.ip != "10.244.0.3" || !s.ready {
		t.Errorf("compact dropped what the watcher logs: %+v", s)
	}
	if s.Labels != nil || s.ManagedFields != nil {
		t.Errorf("compact kept a map or list: %+v", s.ObjectMeta)
	}
	if again, err := compact(s); err != nil || again != any(s) {
		t.Errorf("compact of a podState = %v, %v; want it unchanged", again, err)
	}
}
