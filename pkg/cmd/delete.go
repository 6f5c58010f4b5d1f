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

	# Remove everything, the database's data included
	kubectl stack delete --purge-data`)

// DeleteOptions are the flags and state of `kubectl stack delete`.
type DeleteOptions struct {
	overlayFlags
	*printFlags
	PurgeData bool
	DryRun    string

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
			--purge-data deletes them too. With --dry-run=server every deletion is sent
			to the API server as a dry run: it checks them and nothing is deleted.
			Exit status: 0 deleted, 1 failed, 2 bad flags, 3 no stack in the namespace.`),
		Example: deleteExample,
		Args:    usageArgs(cobra.NoArgs),
		RunE:    runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{wide: true, noHeaders: true})
	cmd.Flags().StringVarP(&o.Kustomize, "kustomize", "k", "",
		"overlay whose namespace holds the stack (default: -n, else "+stack.Namespace+")")
	_ = cmd.MarkFlagDirname("kustomize")
	cmd.Flags().BoolVar(&o.PurgeData, "purge-data", false, "also delete the namespace, claims and volumes: the database's data is lost")
	addDryRunFlag(cmd, &o.DryRun, `"server" sends every deletion to the API server as a dry run and deletes nothing; "none" deletes`)
	return cmd
}

// Complete builds the printer and the clients, and takes the namespace from
// the overlay when -k names one.
func (o *DeleteOptions) Complete(f cmdutil.Factory, _ *cobra.Command, _ []string) error {
	if err := o.printFlags.complete(); err != nil {
		return err
	}
	if err := o.completeTarget(f); err != nil {
		return err
	}
	if o.Kustomize == "" {
		return nil
	}
	set, err := o.load(o.target)
	if err != nil {
		return err
	}
	o.namespace = set.Namespace
	return nil
}

// Validate checks the flags.
func (o *DeleteOptions) Validate() error { return validateDryRun(o.DryRun) }

// Run deletes the stack and prints what it did; on failure it prints what
// was deleted before the error.
func (o *DeleteOptions) Run(ctx context.Context) error {
	sum, err := apply.Delete(ctx, o.clients, o.namespace, apply.DeleteOptions{PurgeData: o.PurgeData, DryRun: o.DryRun == "server"})
	if err != nil && len(sum.Results) > 0 {
		fmt.Fprintf(o.ErrOut, "delete stopped after %d objects:\n", len(sum.Results))
		_ = sum.PrintDeleted(o.ErrOut, o.tableOptions(o.ErrOut))
	}
	if err != nil {
		return err
	}
	return o.print(o.Out, summaryOutput("DeleteResult", sum, sum.PrintDeleted))
}
