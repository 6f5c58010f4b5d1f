package cmd

import (
	"fmt"

	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// stackNamespace is the namespace -n names, or the stack's own when -n is
// not given (the kubeconfig's default namespace is not where the stack lives).
// explicit says whether -n was given.
func stackNamespace(f cmdutil.Factory) (ns string, explicit bool, err error) {
	ns, explicit, err = f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", false, fmt.Errorf("reading kubeconfig: %s (check --kubeconfig and --context)", kube.OneLine(err))
	}
	if !explicit {
		ns = stack.Namespace
	}
	return ns, explicit, nil
}
