package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// verb is the shape of every command's options, as kubectl's own: Complete
// reads the world (clients, namespace, files), Validate checks the flags
// without I/O, Run does the work.
type verb interface {
	Complete(f cmdutil.Factory, cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runVerb is every command's RunE. A Validate error is a usage error (exit 2).
func runVerb(f cmdutil.Factory, o verb) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(f, cmd, args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return usageError(err)
		}
		return o.Run(cmd.Context())
	}
}

// flagUsageError makes cobra's flag-parsing errors usage errors.
func flagUsageError(_ *cobra.Command, err error) error { return usageError(err) }

// usageArgs makes an argument-count error a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return usageError(check(cmd, args))
	}
}

// target is where a verb works: the clients and the stack's namespace.
type target struct {
	clients   *kube.Clients
	namespace string
	// explicit says -n was given (an overlay must then agree with it).
	explicit bool
}

// completeTarget builds the clients and decides the namespace: the one -n
// names, else the stack's own (the kubeconfig's default namespace is not
// where the stack lives).
func (t *target) completeTarget(f cmdutil.Factory) error {
	ns, explicit, err := f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("reading kubeconfig: %s (check --kubeconfig and --context)", kube.OneLine(err))
	}
	if !explicit {
		ns = stack.Namespace
	}
	c, err := kube.NewClients(f)
	if err != nil {
		return err
	}
	*t = target{clients: c, namespace: ns, explicit: explicit}
	return nil
}
