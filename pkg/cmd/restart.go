package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/rollout"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var restartExample = templates.Examples(`
	# A rolling restart of the web pods, waiting until the new ones are ready
	kubectl stack restart web

	# The database: asks first on a terminal (mysql-0 is down while it restarts);
	# the HA tier rolls member by member
	kubectl stack restart database --yes

	# For a script: when the restart was asked for, and whether it is done
	kubectl stack restart watcher -o jsonpath='{.restartedAt} {.ready}'`)

// RestartOptions are the flags and state of `kubectl stack restart`.
type RestartOptions struct {
	*printFlags
	Wait    bool
	Timeout time.Duration
	confirmation

	tier stack.Component
	target
	genericiooptions.IOStreams
}

// NewCmdRestart returns `kubectl stack restart`.
func NewCmdRestart(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RestartOptions{printFlags: newPrintFlags(false), Wait: true, Timeout: 5 * time.Minute, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "restart web|database|watcher",
		Short: "Restart a tier's pods, rolling, as kubectl rollout restart does, and wait",
		Long: templates.LongDesc(`
			Restart the pods of a tier by setting the annotation 'kubectl rollout restart' sets on
			its pod template, so the workload replaces them by its own strategy (web: one at a
			time, never below its budget), then wait until the rollout is done, printing each
			change like apply. The database's restart needs --yes without a terminal. A single
			server's is downtime, so on a terminal it asks first; the HA tier's members restart
			one at a time, each Synced again before the next, so the cluster keeps its quorum
			and takes writes throughout, and it does not ask.
			Exit status: 0 restarted (and ready), 1 failed, cancelled or not ready in time,
			2 bad flags, 3 no stack in the namespace.`),
		Example:   restartExample,
		Args:      positional(1, 1, "a tier: web, database or watcher"),
		ValidArgs: stack.Tiers(),
		RunE:      runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{})
	cmd.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until the restarted pods are ready")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits before it fails")
	o.addFlag(cmd, "restarting the database")
	return cmd
}

// Complete reads the tier and builds the printer.
func (o *RestartOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	tier, err := stack.Tier(args[0])
	if err != nil {
		return err
	}
	o.tier = tier
	return o.printFlags.complete()
}

// Validate checks the timeout, and that a database restart can be
// confirmed: whether the stack runs one server or the HA tier is known
// only from the cluster, and a refusal comes before any I/O.
func (o *RestartOptions) Validate() error {
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	return o.require(o.tier == stack.Database, o.In,
		"restarting the database stops "+stack.MySQLPod+": the stack cannot read or write until it is ready again")
}

// Run asks when a single database server is to restart, restarts, waits
// and prints what it did, also when the wait failed.
func (o *RestartOptions) Run(ctx context.Context) error {
	if o.tier == stack.Database {
		if err := o.confirmDowntime(ctx); err != nil {
			return err
		}
	}
	res, err := rollout.Restart(ctx, o.clients, o.tier, rollout.Options{Namespace: o.namespace, Wait: o.Wait, Timeout: o.Timeout, Progress: o.ErrOut})
	if err != nil {
		return err
	}
	return o.print(o.Out, output{kind: kindRestartResult, data: res, table: func(w io.Writer, _ table.Options) error {
		state := "rollout done"
		if !res.Ready {
			state = "not waited for (--wait=false)"
		}
		_, err := fmt.Fprintf(w, "%s %s/%s restarted at %s: %s\n", res.Kind, res.Namespace, res.Name, res.RestartedAt.Format(time.RFC3339), state)
		return err
	}})
}

// confirmDowntime asks before a single server's restart. The HA tier's
// is no downtime: nothing is asked.
func (o *RestartOptions) confirmDowntime(ctx context.Context) error {
	sts, err := o.clients.Typed.AppsV1().StatefulSets(o.namespace).Get(ctx, stack.Database.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &stack.NotDeployedError{Namespace: o.namespace, Missing: stack.Database.Kind + " " + stack.Database.Name}
	}
	if err != nil {
		return kube.Explain(err)
	}
	if size, ok := galera.Size(sts); ok {
		fmt.Fprintf(o.ErrOut, "restarting the %d members of the database one at a time, each Synced before the next\n", size)
		return nil
	}
	question := fmt.Sprintf("Warning: restarting the database stops %s in namespace %s: the stack cannot read or write until it is ready again. Restart it?", stack.MySQLPod, o.namespace)
	return o.ask(o.In, o.ErrOut, question, "restart")
}
