package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// verb is the shape of every command's options, as kubectl's own, with one
// rule kubectl leaves to each command: nothing before Run reaches the
// cluster or changes a file, so bad input is refused before any I/O.
// Complete reads the flags and arguments, Validate checks them, Run does
// the work. A verb that works on a cluster embeds target, and runVerb
// connects it between Validate and Run.
type verb interface {
	Complete(f cmdutil.Factory, cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// connector is a verb that needs the cluster's clients: target is one.
type connector interface {
	connect(f cmdutil.Factory) error
}

// runVerb is every command's RunE. An error of the kubectl connection
// flags, of Complete or of Validate is a usage error (exit 2); what Run
// returns keeps its own status. Every error it returns is an *ExitError,
// so an error without one came from cobra's own checks (see Execute).
func runVerb(f cmdutil.Factory, o verb) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := checkConnectionFlags(cmd); err != nil {
			return usageError(err)
		}
		if err := o.Complete(f, cmd, args); err != nil {
			return usageError(err)
		}
		if err := o.Validate(); err != nil {
			return usageError(err)
		}
		if c, ok := o.(connector); ok {
			if err := c.connect(f); err != nil {
				return withStatus(err)
			}
		}
		return withStatus(o.Run(cmd.Context()))
	}
}

// target is where a verb works: the clients and the stack's namespace.
type target struct {
	clients   *kube.Clients
	namespace string
	// explicit says -n was given (an overlay must then agree with it).
	explicit bool
}

// connect builds the clients and decides the namespace: the one -n names,
// else the stack's own (the kubeconfig's default namespace is not where
// the stack lives). It reads the kubeconfig and sends nothing.
func (t *target) connect(f cmdutil.Factory) error {
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
