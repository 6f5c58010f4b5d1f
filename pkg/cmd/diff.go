package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
)

var diffExample = templates.Examples(`
	# What would applying the prod overlay change?
	kubectl stack diff -k overlays/prod

	# What would rolling back to revision 3 change?
	kubectl stack diff --revision 3

	# Use another diff program, as with kubectl diff
	KUBECTL_EXTERNAL_DIFF="diff -u --color=always" kubectl stack diff`)

// DiffOptions are the flags and state of `kubectl stack diff`.
type DiffOptions struct {
	overlayFlags
	Revision int

	set *apply.Set
	target
	genericiooptions.IOStreams
}

// NewCmdDiff returns `kubectl stack diff`. Exit status, as kubectl diff: 0 no
// differences, 1 differences, 2 an error.
func NewCmdDiff(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiffOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "diff [-k DIR | --revision N]",
		Short: "Show what apply would change; exit 1 when anything would",
		Long: templates.LongDesc(`
			Diff the overlay against the live objects through a server-side dry run, as
			kubectl diff does, and list the ApplySet members apply would prune. With
			--revision, diff a recorded revision's objects instead: what 'kubectl stack rollback N'
			would change.
			Exit status, as kubectl diff: 0 no differences, 1 differences, 2 an error.`),
		Example: diffExample,
		Args:    usageArgs(cobra.NoArgs),
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	o.addImageFlags(cmd)
	cmd.Flags().IntVar(&o.Revision, "revision", 0, "diff a recorded revision (kubectl stack history) instead of an overlay")
	cmd.MarkFlagsMutuallyExclusive("kustomize", "revision")
	cmd.MarkFlagsMutuallyExclusive("registry", "revision")
	_ = cmd.RegisterFlagCompletionFunc("revision", completeRevisions(f))
	return cmd
}

// Complete builds the clients and the overlay. Every error of diff exits 2,
// as kubectl diff's do, since 1 means "differences".
func (o *DiffOptions) Complete(f cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	if err := o.completeTarget(f); err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	var set *apply.Set
	var err error
	if cmd.Flags().Changed("revision") {
		if o.Revision < 1 {
			return usageError(fmt.Errorf("--revision %d is not a revision number (1, 2, ...): `kubectl stack history` lists them", o.Revision))
		}
		_, set, err = history.Load(cmd.Context(), o.clients, o.namespace, o.Revision)
	} else {
		set, err = o.load(o.target)
	}
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	o.set = set
	return nil
}

// Validate has nothing to check that Complete did not.
func (o *DiffOptions) Validate() error { return nil }

// Run prints the diff and turns its outcome into the exit status.
func (o *DiffOptions) Run(ctx context.Context) error {
	changed, err := apply.Diff(ctx, o.clients, o.set, o.IOStreams)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	if changed {
		return &ExitError{Code: ExitFailure}
	}
	return nil
}
