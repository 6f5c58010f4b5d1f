package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
)

var diffExample = templates.Examples(`
	# What would applying the prod overlay change?
	kubectl stack diff -k overlays/prod

	# Use another diff program, as with kubectl diff
	KUBECTL_EXTERNAL_DIFF="diff -u --color=always" kubectl stack diff`)

// DiffOptions are the flags and state of `kubectl stack diff`.
type DiffOptions struct {
	overlayFlags
	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdDiff returns `kubectl stack diff`. Exit status, as kubectl diff: 0 no
// differences, 1 differences, 2 an error.
func NewCmdDiff(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiffOptions{factory: f, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "diff [-k DIR]",
		Short: "Show what apply would change; exit 1 when anything would",
		Long: templates.LongDesc(`
			Diff the overlay against the live objects through a server-side dry run, as
			kubectl diff does, and list the ApplySet members apply would prune.
			Exit status: 0 no differences, 1 differences, 2 an error.`),
		Example: diffExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.Run(cmd)
		},
	}
	o.overlayFlags.addFlags(cmd)
	return cmd
}

// Run prints the diff and turns its outcome into the exit status.
func (o *DiffOptions) Run(cmd *cobra.Command) error {
	c, objs, err := o.load(o.factory)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	changed, err := apply.Diff(cmd.Context(), c, objs, o.IOStreams)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if changed {
		return &ExitError{Code: 1}
	}
	return nil
}
