// Package rollout restarts a tier of the stack the way `kubectl rollout
// restart` does (the same pod-template annotation, so kubectl's rollout
// history reads it) and waits with apply's progress until it is done. It
// knows nothing of cobra; pkg/cmd/restart.go is its command line.
package rollout

import (
	"context"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// RestartedAtAnnotation is the pod-template annotation `kubectl rollout
// restart` sets.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// Options control a restart.
type Options struct {
	Namespace string
	Wait      bool
	Timeout   time.Duration
	Progress  io.Writer
}

// Restart sets the restart annotation on the tier's pod template (a rolling
// restart by the workload's own strategy) and, with Wait, waits until the
// rollout is done.
func Restart(ctx context.Context, c *kube.Clients, tier stack.Component, o Options) error {
	gvk := schema.FromAPIVersionAndKind("apps/v1", tier.Kind)
	mapping, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return kube.Explain(err)
	}
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`,
		RestartedAtAnnotation, time.Now().Format(time.RFC3339))
	live, err := c.Dynamic.Resource(mapping.Resource).Namespace(o.Namespace).
		Patch(ctx, tier.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: stack.FieldManager + "-restart"})
	if apierrors.IsNotFound(err) {
		return &stack.NotDeployedError{Namespace: o.Namespace, Missing: tier.Kind + " " + tier.Name}
	}
	if err != nil {
		return fmt.Errorf("restarting %s %s: %w", tier.Kind, tier.Name, kube.Explain(err))
	}
	fmt.Fprintf(o.Progress, "restarted %s %s/%s\n", tier.Kind, o.Namespace, tier.Name)
	if !o.Wait {
		return nil
	}
	set := &apply.Set{Objects: []apply.Object{{Unstructured: live, Mapping: mapping}}, Namespace: o.Namespace}
	return apply.Wait(ctx, c, set, o.Timeout, o.Progress)
}
