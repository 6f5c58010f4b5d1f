package main

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		got := strings.Join(changes(old, updated), "; ")
		if got != c.want {
			t.Errorf("%s: changes = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTrimKeepsWhatTheWatcherReads(t *testing.T) {
	p := basePod()
	p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "x"}}
	p.Spec.Containers = []corev1.Container{{Name: "nginx"}}
	p.Spec.NodeName = "stack-node"
	obj, err := trim(p)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*corev1.Pod)
	if got.ManagedFields != nil || got.Spec.Containers != nil {
		t.Error("trim kept bulk the watcher never reads")
	}
	if got.Spec.NodeName != "stack-node" || got.Status.PodIP != "10.244.0.3" || len(got.Status.ContainerStatuses) != 1 {
		t.Error("trim dropped what the watcher logs")
	}
}
