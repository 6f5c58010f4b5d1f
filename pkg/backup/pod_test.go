package backup

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func databasePod(name string, isReady bool) corev1.Pod {
	status := corev1.ConditionFalse
	if isReady {
		status = corev1.ConditionTrue
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

// The first pod while it is ready; on the HA tier, else the first ready
// member; never a pod that is not ready.
func TestMember(t *testing.T) {
	for _, tc := range []struct {
		name string
		pods []corev1.Pod
		want string
	}{
		{"the single server", []corev1.Pod{databasePod("mysql-0", true)}, "mysql-0"},
		{"the first member while it is ready", []corev1.Pod{databasePod("mysql-2", true), databasePod("mysql-0", true), databasePod("mysql-1", true)}, "mysql-0"},
		{"the next ready member", []corev1.Pod{databasePod("mysql-2", true), databasePod("mysql-0", false), databasePod("mysql-1", true)}, "mysql-1"},
		{"ordinals as numbers", []corev1.Pod{databasePod("mysql-10", true), databasePod("mysql-0", false), databasePod("mysql-9", true)}, "mysql-9"},
		{"not a member of the StatefulSet", []corev1.Pod{databasePod("mysql-backup-x", true), databasePod("mysql-0", false), databasePod("mysql-1", true)}, "mysql-1"},
	} {
		got, err := member("ns", tc.pods)
		if err != nil || got.Name != tc.want {
			t.Errorf("%s: got %v, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	_, err := member("ns", []corev1.Pod{databasePod("mysql-1", false), databasePod("mysql-0", false)})
	var notReady ErrNotReady
	if !errors.As(err, &notReady) || notReady.Pod != "mysql-0" {
		t.Errorf("no member ready: got %v, want ErrNotReady naming mysql-0", err)
	}
	_, err = member("ns", nil)
	var missing *stack.NotDeployedError
	if !errors.As(err, &missing) {
		t.Errorf("no pod: got %v, want NotDeployedError", err)
	}
}
