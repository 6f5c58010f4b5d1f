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

// Result is what a restart did.
type Result struct {
	Tier      string `json:"tier"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// RestartedAt is the annotation's value: pods older than it are replaced.
	RestartedAt time.Time `json:"restartedAt"`
	// Ready says the rollout was waited for and is done.
	Ready bool `json:"ready"`
}

// Restart sets the restart annotation on the tier's pod template (a rolling
// restart by the workload's own strategy) and, with Wait, waits until the
// rollout is done. The result says how far it got, also with an error.
func Restart(ctx context.Context, c *kube.Clients, tier stack.Component, o Options) (*Result, error) {
	res := &Result{Tier: tier.Component, Kind: tier.Kind, Namespace: o.Namespace, Name: tier.Name, RestartedAt: time.Now().UTC().Truncate(time.Second)}
	gvk := schema.FromAPIVersionAndKind("apps/v1", tier.Kind)
	mapping, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return res, kube.Explain(err)
	}
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`,
		RestartedAtAnnotation, res.RestartedAt.Format(time.RFC3339))
	live, err := c.Dynamic.Resource(mapping.Resource).Namespace(o.Namespace).
		Patch(ctx, tier.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: stack.FieldManager + "-restart"})
	if apierrors.IsNotFound(err) {
		return res, &stack.NotDeployedError{Namespace: o.Namespace, Missing: tier.Kind + " " + tier.Name}
	}
	if err != nil {
		return res, fmt.Errorf("restarting %s %s: %w", tier.Kind, tier.Name, kube.Explain(err))
	}
	fmt.Fprintf(o.Progress, "restarted %s %s/%s\n", tier.Kind, o.Namespace, tier.Name)
	if !o.Wait {
		return res, nil
	}
	set := &apply.Set{Objects: []apply.Object{{Unstructured: live, Mapping: mapping}}, Namespace: o.Namespace}
	if err := apply.Wait(ctx, c, set, o.Timeout, o.Progress); err != nil {
		return res, err
	}
	res.Ready = true
	return res, nil
}
