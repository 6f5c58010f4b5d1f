package cmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/history"
)

var rollbackExample = templates.Examples(`
	# Back to the revision before the current one, and wait until the stack is ready
	kubectl stack rollback

	# Back to revision 3; first see what it would change
	kubectl stack diff --revision 3
	kubectl stack rollback 3 --dry-run=server
	kubectl stack rollback 3`)

// RollbackOptions are the flags and state of `kubectl stack rollback`.
type RollbackOptions struct {
	ApplyOptions
	Revision int
}

// NewCmdRollback returns `kubectl stack rollback`.
func NewCmdRollback(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RollbackOptions{ApplyOptions: ApplyOptions{printFlags: newPrintFlags(true), DryRun: "none", IOStreams: streams, Wait: true, Timeout: 5 * time.Minute}}
	cmd := &cobra.Command{
		Use:   "rollback [REVISION]",
		Short: "Re-apply a recorded revision's objects (default: the one before the current)",
		Long: templates.LongDesc(`
			Re-apply the objects recorded with REVISION (see 'kubectl stack history'; default:
			the newest revision before the current one that did not fail) with the same
			server-side apply, ApplySet prune and wait as 'kubectl stack apply', and record a
			new revision "rollback to N". The database's namespace, claims and volumes are never
			deleted: when the revision lacks them they are kept, and the summary says so.
			Exit status: 0 rolled back (and ready), 1 failed or not ready in time, 2 bad flags
			or a revision that does not exist or cannot be trusted.`),
		Example:           rollbackExample,
		Args:              positional(0, 1, "REVISION, a number 'kubectl stack history' lists"),
		ValidArgsFunction: completeRevisions(f),
		RunE:              runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{wide: true, noHeaders: true})
	o.addApplyFlags(cmd, "rolls back")
	return cmd
}

// Complete reads the revision number and builds the printer.
func (o *RollbackOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 {
			return fmt.Errorf("revision %q is not a revision number (1, 2, ...): `kubectl stack history` lists them", args[0])
		}
		o.Revision = n
	}
	return o.printFlags.complete()
}

// Run rolls back and prints the summary as apply does.
func (o *RollbackOptions) Run(ctx context.Context) error {
	sum, rev, err := history.Rollback(ctx, o.clients, o.namespace, o.Revision, o.historyOptions(o.applyOptions(), o.ErrOut))
	reportRevision(o.ErrOut, rev)
	var notFound *history.NotFoundError
	var tampered *history.TamperedError
	if errors.As(err, &notFound) || errors.As(err, &tampered) {
		return usageError(err)
	}
	return o.finish(sum, err, fmt.Sprintf("rollback stopped after %d objects", len(sum.Results)))
}
