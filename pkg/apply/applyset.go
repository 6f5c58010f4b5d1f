package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/resource"
	kapply "k8s.io/kubectl/pkg/cmd/apply"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// ToolingName is written to the parent's applyset.kubernetes.io/tooling
// annotation; kubectl and other tools refuse to change a set another tool owns.
const ToolingName = "kubectl-stack"

// newApplySet returns kubectl's ApplySet for the stack's parent Secret.
func newApplySet(c *kube.Clients, namespace string) (*kapply.ApplySet, error) {
	ref, err := kapply.ParseApplySetParentRef("secrets/"+stack.ApplySetParent, c.Mapper)
	if err != nil {
		return nil, kube.Explain(err)
	}
	ref.Namespace = namespace
	client, err := c.ClientFunc(ref.RESTMapping)
	if err != nil {
		return nil, kube.Explain(err)
	}
	tooling := kapply.ApplySetTooling{Name: ToolingName, Version: version.Version}
	return kapply.NewApplySet(ref, tooling, c.Mapper, client), nil
}

// labelledSet returns the ApplySet of the objects' namespace, with every
// object labelled as its member, and the objects as kubectl's resource infos.
func labelledSet(c *kube.Clients, objs []Object) (*kapply.ApplySet, []*resource.Info, error) {
	set, err := newApplySet(c, setNamespace(objs, stack.Namespace))
	if err != nil {
		return nil, nil, err
	}
	infos := make([]*resource.Info, len(objs))
	for i := range objs {
		infos[i] = objs[i].info()
	}
	return set, infos, set.AddLabels(infos...)
}

// ErrNotDeployed means the namespace holds no ApplySet parent of the stack.
type ErrNotDeployed struct{ Namespace string }

func (e ErrNotDeployed) Error() string {
	return fmt.Sprintf("no stack in namespace %q (no ApplySet parent secret/%s): deploy it with `kubectl stack apply`, or pass -n with the stack's namespace",
		e.Namespace, stack.ApplySetParent)
}

// requireParent fails with ErrNotDeployed when the parent does not exist.
func requireParent(ctx context.Context, c *kube.Clients, namespace string) error {
	_, err := c.Typed.CoreV1().Secrets(namespace).Get(ctx, stack.ApplySetParent, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ErrNotDeployed{Namespace: namespace}
	}
	return kube.Explain(err)
}
