package galera

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// ErrNotReady means the database pod exists but is not ready: on the HA
// tier, that no member is.
type ErrNotReady struct {
	Namespace string
	Pod       string
	Phase     corev1.PodPhase
}

func (e ErrNotReady) Error() string {
	return fmt.Sprintf("database pod %s in namespace %q is not ready (%s): wait until `kubectl stack status` shows it ready",
		e.Pod, e.Namespace, e.Phase)
}

// Serving is the database pod a verb that runs SQL reaches (see serving).
func Serving(ctx context.Context, c *kube.Clients, ns string) (*corev1.Pod, error) {
	return serving(ns, func(name string) (*corev1.Pod, error) {
		return c.Typed.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	})
}

// serving chooses the StatefulSet's first pod (the only one of a single
// server) when it is ready, else the next ready member of the HA tier. A
// ready member is Synced in the primary component (its readiness probe
// says so): it holds every committed write and takes new ones. The first
// is preferred while it serves so that one backup's binary-log position
// is read where the last one's was. Members are read by name, which is
// all the scheduled backup's Role allows: one it may not read, or that
// does not exist, is not one to choose.
func serving(ns string, get func(name string) (*corev1.Pod, error)) (*corev1.Pod, error) {
	var first *corev1.Pod
	for i := range stack.GaleraMembers {
		pod, err := get(fmt.Sprintf("%s-%d", stack.Database.Name, i))
		if apierrors.IsNotFound(err) || i > 0 && apierrors.IsForbidden(err) {
			continue
		}
		if err != nil {
			return nil, kube.Explain(err)
		}
		if kube.PodReady(pod) {
			return pod, nil
		}
		if first == nil {
			first = pod
		}
	}
	if first == nil {
		return nil, &stack.NotDeployedError{Namespace: ns, Missing: "database pod " + stack.MySQLPod}
	}
	return nil, ErrNotReady{Namespace: ns, Pod: first.Name, Phase: first.Status.Phase}
}
