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

// namespacedClients returns the clients and the stack's namespace, for the
// verbs that read a deployed stack.
func namespacedClients(f cmdutil.Factory) (*kube.Clients, string, error) {
	ns, _, err := stackNamespace(f)
	if err != nil {
		return nil, "", err
	}
	c, err := kube.NewClients(f)
	return c, ns, err
}
