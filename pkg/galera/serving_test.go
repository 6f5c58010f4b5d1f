package galera

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func databasePod(name string, isReady bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if isReady {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

// getter answers Get by name, as the API server would; forbidden names are
// refused as a Role without them refuses them.
func getter(forbidden []string, list ...*corev1.Pod) func(string) (*corev1.Pod, error) {
	gr := schema.GroupResource{Resource: "pods"}
	return func(name string) (*corev1.Pod, error) {
		for _, f := range forbidden {
			if f == name {
				return nil, apierrors.NewForbidden(gr, name, errors.New("not in the Role"))
			}
		}
		for _, p := range list {
			if p.Name == name {
				return p, nil
			}
		}
		return nil, apierrors.NewNotFound(gr, name)
	}
}

// The first pod while it is ready; on the HA tier, else the first ready
// member; never a pod that is not ready.
func TestServing(t *testing.T) {
	for _, tc := range []struct {
		name string
		get  func(string) (*corev1.Pod, error)
		want string
	}{
		{"the single server", getter(nil, databasePod("mysql-0", true)), "mysql-0"},
		{"the first member while it is ready", getter(nil, databasePod("mysql-2", true), databasePod("mysql-0", true), databasePod("mysql-1", true)), "mysql-0"},
		{"the next ready member", getter(nil, databasePod("mysql-2", true), databasePod("mysql-0", false), databasePod("mysql-1", true)), "mysql-1"},
		{"past a member that is gone", getter(nil, databasePod("mysql-2", true), databasePod("mysql-0", false)), "mysql-2"},
		{"past a member the Role does not name", getter([]string{"mysql-1"}, databasePod("mysql-2", true), databasePod("mysql-0", false)), "mysql-2"},
	} {
		got, err := serving("ns", tc.get)
		if err != nil || got.Name != tc.want {
			t.Errorf("%s: got %v, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	_, err := serving("ns", getter([]string{"mysql-1", "mysql-2"}, databasePod("mysql-0", false)))
	var notReady ErrNotReady
	if !errors.As(err, &notReady) || notReady.Pod != "mysql-0" {
		t.Errorf("a single server not ready: got %v, want ErrNotReady naming mysql-0", err)
	}
	_, err = serving("ns", getter(nil, databasePod("mysql-1", false), databasePod("mysql-0", false)))
	if !errors.As(err, &notReady) || notReady.Pod != "mysql-0" {
		t.Errorf("no member ready: got %v, want ErrNotReady naming mysql-0", err)
	}
	_, err = serving("ns", getter(nil))
	var missing *stack.NotDeployedError
	if !errors.As(err, &missing) {
		t.Errorf("no pod: got %v, want NotDeployedError", err)
	}
	_, err = serving("ns", getter([]string{"mysql-0"}))
	if !apierrors.IsForbidden(errors.Unwrap(err)) && !apierrors.IsForbidden(err) {
		t.Errorf("the first pod forbidden: got %v, want the API server's refusal", err)
	}
}
