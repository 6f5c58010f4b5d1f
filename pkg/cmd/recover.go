package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

var recoverExample = templates.Examples(`
	# After every member stopped and they cannot decide by themselves (status says so):
	# bootstrap from the member with the most advanced state, after a confirmation
	kubectl stack recover

	# From a member of your choice, without a terminal
	kubectl stack recover --member mysql-1 --yes`)

// RecoverOptions are the flags and state of `kubectl stack recover`.
type RecoverOptions struct {
	Member  string
	Timeout time.Duration
	confirmation

	target
	genericiooptions.IOStreams
}

// NewCmdRecover returns `kubectl stack recover`.
func NewCmdRecover(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RecoverOptions{Timeout: 10 * time.Minute, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "recover [--member POD]",
		Short: "Restart the HA tier's database cluster when its members cannot decide who starts it",
		Long: templates.LongDesc(`
			After every member of the HA tier stopped, the members start the cluster by
			themselves from the one with the most advanced state, when each of them answers.
			When one does not (its node is gone, its state cannot be read), they wait, and
			status says so: a member started from stale data would lose what the others
			committed. recover reads every member, chooses the one with the highest seqno
			among those that answer (or --member), says why and what could be lost, asks,
			then has it bootstrap the cluster and waits until a majority of the members is
			Synced. The others join it; one that cannot reach it yet joins once it can.
			Exit status: 0 the cluster runs again, 1 failed, cancelled, nothing to recover
			or not Synced in time, 2 bad flags, 3 no HA database in the namespace.`),
		Example: recoverExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	cmd.Flags().StringVar(&o.Member, "member", "", "bootstrap from this member (a pod of the database) instead of the most advanced one")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for a majority of the members to be Synced")
	o.addFlag(cmd, "bootstrapping the cluster")
	return cmd
}

// Complete has nothing to read.
func (o *RecoverOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error { return nil }

// Validate checks the timeout, and that the choice can be confirmed.
func (o *RecoverOptions) Validate() error {
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	return o.require(true, o.In, "recover starts the database cluster from one member, and what only the others hold may be lost")
}

// Run reads the members, chooses, asks, bootstraps and waits.
func (o *RecoverOptions) Run(ctx context.Context) error {
	sts, err := o.clients.Typed.AppsV1().StatefulSets(o.namespace).Get(ctx, stack.Database.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &stack.NotDeployedError{Namespace: o.namespace, Missing: "StatefulSet " + stack.Database.Name}
	}
	if err != nil {
		return kube.Explain(err)
	}
	size, ok := galera.Size(sts)
	if !ok {
		return &stack.NotDeployedError{Namespace: o.namespace, Missing: "HA database (components/galera)"}
	}
	members, err := galera.Read(ctx, o.clients, o.namespace)
	if err != nil {
		return err
	}
	for _, m := range members {
		fmt.Fprintf(o.ErrOut, "member %s\n", m)
	}
	choice, err := galera.Choose(members, o.Member)
	if err != nil {
		return err
	}
	question := fmt.Sprintf("Bootstrap the database cluster in namespace %s from %s? %s.", o.namespace, choice.Member.Pod, choice.Why())
	if err := o.ask(o.In, o.ErrOut, question, "recover"); err != nil {
		return err
	}
	if err := galera.Bootstrap(ctx, o.clients, o.namespace, choice.Member.Pod); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "asked %s to bootstrap the cluster (%s)\n", choice.Member.Pod, choice.Why())
	// A majority makes the primary component; a member that cannot reach
	// the others yet joins once it can, by itself.
	members, err = galera.WaitSynced(ctx, o.clients, o.namespace, size/2+1, o.Timeout, o.ErrOut)
	if err != nil {
		return err
	}
	synced := 0
	for _, m := range members {
		if m.Synced() {
			synced++
		} else {
			fmt.Fprintf(o.ErrOut, "warning: %s is not Synced yet; it joins by itself once it reaches the others (kubectl stack status)\n", m.Pod)
		}
	}
	_, err = fmt.Fprintf(o.Out, "the database cluster runs again from %s: %d of %d members Synced\n", choice.Member.Pod, synced, size)
	return err
}
