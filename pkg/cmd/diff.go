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

	revision bool // --revision was given
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
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	o.addImageFlags(cmd)
	cmd.Flags().IntVar(&o.Revision, "revision", 0, "diff a recorded revision (kubectl stack history) instead of an overlay")
	_ = cmd.RegisterFlagCompletionFunc("revision", completeRevisions(f))
	return cmd
}

// Complete notes whether a revision was asked for.
func (o *DiffOptions) Complete(_ cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	o.revision = cmd.Flags().Changed("revision")
	return nil
}

// Validate checks that one source is named: an overlay or a revision.
func (o *DiffOptions) Validate() error {
	switch {
	case !o.revision:
		return o.validateRegistry()
	case o.Kustomize != "" || o.Registry != "" || len(o.PullSecrets) > 0:
		return fmt.Errorf("--revision diffs a recorded revision's objects as they were applied; -k, --registry and --image-pull-secret build an overlay: give one or the other")
	case o.Revision < 1:
		return fmt.Errorf("--revision %d is not a revision number (1, 2, ...): `kubectl stack history` lists them", o.Revision)
	}
	return nil
}

// connect builds the clients; diff's every error exits 2, as kubectl
// diff's do, since 1 means "differences".
func (o *DiffOptions) connect(f cmdutil.Factory) error {
	return usageError(o.target.connect(f))
}

// Run reads the overlay or the revision, prints the diff and turns its
// outcome into the exit status.
func (o *DiffOptions) Run(ctx context.Context) error {
	set, err := o.objects(ctx)
	if err != nil {
		return usageError(err)
	}
	changed, err := apply.Diff(ctx, o.clients, set, o.IOStreams)
	if err != nil {
		return usageError(err)
	}
	if changed {
		return &ExitError{Code: ExitFailure}
	}
	return nil
}

// objects are what diff compares with the live ones.
func (o *DiffOptions) objects(ctx context.Context) (*apply.Set, error) {
	if o.revision {
		_, set, err := history.Load(ctx, o.clients, o.namespace, o.Revision)
		return set, err
	}
	_, set, err := o.load(o.target)
	return set, err
}
