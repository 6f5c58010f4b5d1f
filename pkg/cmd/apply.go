package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

var applyExample = templates.Examples(`
	# Apply the dev overlay built into the plugin and wait until the stack is ready
	kubectl stack apply

	# Apply an overlay folder, without waiting
	kubectl stack apply -k overlays/prod --wait=false

	# Check an overlay against the cluster without changing anything
	kubectl stack apply -k overlays/dev --dry-run=server

	# Run prod from your own registry (kubectl stack images push --to filled it)
	kubectl stack apply -k overlays/prod --registry registry.example:5000/stack --image-pull-secret regcred

	# Keep the last 20 revisions instead of 10 (kubectl stack history lists them)
	kubectl stack apply --history-max 20

	# The summary as JSON for a script, or only the objects' names
	kubectl stack apply -o json
	kubectl stack apply -o name`)

// ApplyOptions are the flags and state of `kubectl stack apply`.
type ApplyOptions struct {
	overlayFlags
	*printFlags
	DryRun         string
	ForceConflicts bool
	Wait           bool
	Timeout        time.Duration
	historyFlags

	target
	genericiooptions.IOStreams
}

// NewCmdApply returns `kubectl stack apply`.
func NewCmdApply(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ApplyOptions{printFlags: newPrintFlags(true), DryRun: "none", IOStreams: streams, Wait: true, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "apply [-k DIR]",
		Short: "Build an overlay and apply it as an ApplySet: create, update, prune, wait",
		Long: templates.LongDesc(`
			Build the overlay with Kustomize, server-side apply every object in dependency
			order, record them as a KEP-3659 ApplySet (kubectl reads the same labels), prune
			members that left the overlay (never the database's namespace, claims or volumes:
			those are kept), wait until the stack is ready, and print a summary.
			An apply that changes something, or fails, is recorded as a revision in the
			stack's namespace (kubectl stack history, kubectl stack rollback); a Lease keeps
			two applies or rollbacks from running at once.
			Exit status: 0 applied (and ready), 1 failed or not ready in time, 2 bad flags.`),
		Example: applyExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	o.addImageFlags(cmd)
	o.printFlags.addFlags(cmd, tableFlags{wide: true, noHeaders: true})
	o.addApplyFlags(cmd, "applies")
	return cmd
}

// addApplyFlags are the flags apply and rollback share; verb says what
// --dry-run=none does.
func (o *ApplyOptions) addApplyFlags(cmd *cobra.Command, verb string) {
	addDryRunFlag(cmd, &o.DryRun, `"server" sends every change to the API server as a dry run and persists nothing; "none" `+verb)
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields that another field manager owns")
	cmd.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until every object is ready (rollouts done, claims bound)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits before it fails")
	o.historyFlags.addFlags(cmd)
}

// Complete builds the printer.
func (o *ApplyOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks the flags.
func (o *ApplyOptions) Validate() error {
	if err := validateDryRun(o.DryRun); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	if err := o.validateRegistry(); err != nil {
		return err
	}
	return o.historyFlags.validate()
}

// Run builds the overlay, applies it and prints the summary; on failure it
// prints what was done before the error, so nothing half-applied goes
// unreported.
func (o *ApplyOptions) Run(ctx context.Context) error {
	rendered, set, err := o.load(o.target)
	if err != nil {
		return err
	}
	src := history.Source{Name: rendered.Source, Digest: rendered.Digest, Description: "apply"}
	sum, rev, err := history.Apply(ctx, o.clients, set, src, o.historyOptions(o.applyOptions(), o.ErrOut))
	reportRevision(o.ErrOut, rev)
	return o.finish(sum, err, fmt.Sprintf("apply stopped after %d of %d objects", len(sum.Results), len(set.Objects)))
}

// finish prints the summary of an apply or a rollback; on failure it
// prints what was done before the error (stopped says so), so nothing
// half-applied goes unreported.
func (o *ApplyOptions) finish(sum *apply.Summary, err error, stopped string) error {
	var notReady *apply.NotReadyError
	switch {
	case errors.As(err, &notReady):
		// Everything was applied; only the wait failed.
		if perr := o.print(o.Out, summaryOutput(kindApplyResult, sum, sum.Print)); perr != nil {
			return perr
		}
		return err
	case err != nil && len(sum.Results) > 0:
		fmt.Fprintf(o.ErrOut, "%s:\n", stopped)
		_ = sum.Print(o.ErrOut, o.tableOptions(o.ErrOut))
	}
	if err != nil {
		return kube.Explain(err)
	}
	return o.print(o.Out, summaryOutput(kindApplyResult, sum, sum.Print))
}

func (o *ApplyOptions) applyOptions() apply.Options {
	return apply.Options{
		DryRun:         o.DryRun == "server",
		ForceConflicts: o.ForceConflicts,
		Wait:           o.Wait,
		Timeout:        o.Timeout,
		Progress:       o.ErrOut,
	}
}

// summaryOutput is an apply's or a delete's summary in every -o form.
func summaryOutput(kind documentKind, sum *apply.Summary, table tablePrinter) output {
	out := output{kind: kind, data: sum, table: table}
	for _, r := range sum.Results {
		out.names = append(out.names, objectRef{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name})
	}
	return out
}
