package podlogs

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestParseSplitsTheKubeletsTimestamp(t *testing.T) {
	l := parse("2026-11-29T02:16:12.123456789Z GET / 200", "web-1", "nginx")
	if !l.Time.Equal(time.Date(2026, 11, 29, 2, 16, 12, 123456789, time.UTC)) || l.Message != "GET / 200" || l.Pod != "web-1" {
		t.Errorf("parsed %+v", l)
	}
	if l := parse("no timestamp here", "p", "c"); !l.Time.IsZero() || l.Message != "no timestamp here" {
		t.Errorf("a line without a timestamp: %+v", l)
	}
}

func TestContainersToRead(t *testing.T) {
	p := &corev1.Pod{
		Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "render-page"}}, Containers: []corev1.Container{{Name: "nginx"}, {Name: "sidecar"}}},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "render-page", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}}},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "nginx", RestartCount: 1, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: "sidecar", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			},
		},
	}
	cases := []struct {
		only     string
		previous bool
		want     []string
	}{
		{"", false, []string{"nginx", "sidecar"}},
		{"render-page", false, []string{"render-page"}},
		{"", true, []string{"nginx"}},
		{"sidecar", true, nil},
	}
	waiting := &corev1.Pod{Spec: p.Spec, Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
		{Name: "nginx", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}}
	if got := containers(waiting, "", false); len(got) != 0 {
		t.Errorf("a container that never started is read: %v", got)
	}
	for _, c := range cases {
		if got := containers(p, c.only, c.previous); !slices.Equal(got, c.want) {
			t.Errorf("containers(%q, previous=%v) = %v, want %v", c.only, c.previous, got, c.want)
		}
	}
}
