package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

var deleteExample = templates.Examples(`
	# Remove the stack, keep the namespace, claims and volumes (the database's data)
	kubectl stack delete

	# What would be deleted, checked by the API server; nothing changes
	kubectl stack delete --dry-run=server

	# Remove everything, the database's data included: asks first on a terminal
	kubectl stack delete --purge-data

	# The same in a script
	kubectl stack delete --purge-data --yes`)

// DeleteOptions are the flags and state of `kubectl stack delete`.
type DeleteOptions struct {
	overlayFlags
	*printFlags
	PurgeData bool
	DryRun    string
	confirmation

	target
	genericiooptions.IOStreams
}

// NewCmdDelete returns `kubectl stack delete`.
func NewCmdDelete(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DeleteOptions{printFlags: newPrintFlags(true), DryRun: "none", IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Remove the stack's objects; keep the database's data unless --purge-data",
		Long: templates.LongDesc(`
			Delete every member of the stack's ApplySet in reverse dependency order. The
			namespace, claims and volumes stay, so the next apply finds the data again;
			--purge-data deletes them too, after a confirmation on a terminal (--yes
			anywhere else). With --dry-run=server every deletion is sent to the API server
			as a dry run: it checks them and nothing is deleted.
			Exit status: 0 deleted, 1 failed or cancelled, 2 bad flags, 3 no stack in the
			namespace.`),
		Example: deleteExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{wide: true, noHeaders: true})
	cmd.Flags().StringVarP(&o.Kustomize, "kustomize", "k", "",
		"overlay whose namespace holds the stack (default: -n, else "+stack.Namespace+")")
	_ = cmd.MarkFlagDirname("kustomize")
	cmd.Flags().BoolVar(&o.PurgeData, "purge-data", false, "also delete the namespace, claims and volumes: the database's data is lost")
	o.addFlag(cmd, "--purge-data deletes the database's data")
	addDryRunFlag(cmd, &o.DryRun, `"server" sends every deletion to the API server as a dry run and deletes nothing; "none" deletes`)
	return cmd
}

// Complete builds the printer.
func (o *DeleteOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks the flags, and that --purge-data can be confirmed.
func (o *DeleteOptions) Validate() error {
	if err := validateDryRun(o.DryRun); err != nil {
		return err
	}
	return o.require(o.PurgeData && o.DryRun != "server", o.In, "delete --purge-data deletes the database's data")
}

// Run finds the stack's namespace, confirms a purge, deletes the stack and
// prints what it did; on failure it prints what was deleted before the
// error.
func (o *DeleteOptions) Run(ctx context.Context) error {
	if o.Kustomize != "" {
		_, set, err := o.load(o.target)
		if err != nil {
			return err
		}
		o.namespace = set.Namespace
	}
	question := fmt.Sprintf("Delete the stack in namespace %s with its namespace, claims and volumes? The database's data is lost.", o.namespace)
	if err := o.ask(o.In, o.ErrOut, question, "delete"); err != nil {
		return err
	}
	sum, err := apply.Delete(ctx, o.clients, o.namespace, apply.DeleteOptions{PurgeData: o.PurgeData, DryRun: o.DryRun == "server"})
	if err != nil && len(sum.Results) > 0 {
		fmt.Fprintf(o.ErrOut, "delete stopped after %d objects:\n", len(sum.Results))
		_ = sum.PrintDeleted(o.ErrOut, o.tableOptions(o.ErrOut))
	}
	if err != nil {
		return err
	}
	return o.print(o.Out, summaryOutput(kindDeleteResult, sum, sum.PrintDeleted))
}
