package cmd

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/rollout"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

var restartExample = templates.Examples(`
	# A rolling restart of the web pods, waiting until the new ones are ready
	kubectl stack restart web

	# The database: asks first (mysql-0 is down while it restarts), unless --yes
	kubectl stack restart database --yes`)

// RestartOptions are the flags and state of `kubectl stack restart`.
type RestartOptions struct {
	Wait    bool
	Timeout time.Duration
	Yes     bool
	tier    stack.Component
	target
	genericiooptions.IOStreams
}

// NewCmdRestart returns `kubectl stack restart`.
func NewCmdRestart(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RestartOptions{Wait: true, Timeout: 5 * time.Minute, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "restart web|database|watcher",
		Short: "Restart a tier's pods, rolling, as kubectl rollout restart does, and wait",
		Long: templates.LongDesc(`
			Restart the pods of a tier by setting the annotation 'kubectl rollout restart' sets on
			its pod template, so the workload replaces them by its own strategy (web: one at a
			time, never below its budget), then wait until the rollout is done, printing each
			change like apply. The database has one replica: its restart is downtime, so it asks
			first on a terminal and needs --yes anywhere else.
			Exit status: 0 restarted (and ready), 1 failed or not ready in time, 2 bad flags,
			3 no stack in the namespace.`),
		Example:   restartExample,
		Args:      usageArgs(cobra.ExactArgs(1)),
		ValidArgs: stack.Tiers(),
		RunE:      runVerb(f, o),
	}
	cmd.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until the restarted pods are ready")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits before it fails")
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask before restarting the database")
	return cmd
}

// Complete reads the tier and builds the clients.
func (o *RestartOptions) Complete(f cmdutil.Factory, _ *cobra.Command, args []string) error {
	tier, err := stack.Tier(args[0])
	if err != nil {
		return usageError(err)
	}
	o.tier = tier
	return o.completeTarget(f)
}

// Validate checks the timeout.
func (o *RestartOptions) Validate() error {
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	return nil
}

// Run asks when the database is to restart, restarts and waits.
func (o *RestartOptions) Run(ctx context.Context) error {
	if err := o.confirm(); err != nil {
		return err
	}
	return rollout.Restart(ctx, o.clients, o.tier, rollout.Options{Namespace: o.namespace, Wait: o.Wait, Timeout: o.Timeout, Progress: o.ErrOut})
}

// confirm asks before the database restarts: on a terminal, else only
// --yes lets it go on.
func (o *RestartOptions) confirm() error {
	if o.tier != stack.Database || o.Yes {
		return nil
	}
	what := fmt.Sprintf("restarting the database stops %s in namespace %s: the stack cannot read or write until it is ready again", stack.MySQLPod, o.namespace)
	if !printers.IsTerminal(o.In) {
		return usageError(fmt.Errorf("%s: pass --yes to confirm without a terminal", what))
	}
	fmt.Fprintf(o.ErrOut, "Warning: %s. Restart it? [y/N] ", what)
	answer, _ := bufio.NewReader(o.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("restart cancelled: nothing changed")}
	}
	return nil
}
