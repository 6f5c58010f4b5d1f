package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

var applyExample = templates.Examples(`
	# Apply the dev overlay built into the plugin and wait until the stack is ready
	kubectl stack apply

	# Apply an overlay folder, without waiting
	kubectl stack apply -k overlays/prod --wait=false

	# Check an overlay against the cluster without changing anything
	kubectl stack apply -k overlays/dev --dry-run=server

	# Print the summary as JSON for a script
	kubectl stack apply -o json`)

// ApplyOptions are the flags and state of `kubectl stack apply`.
type ApplyOptions struct {
	overlayFlags
	outputFlag
	DryRun         string
	ForceConflicts bool
	Wait           bool
	Timeout        time.Duration

	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdApply returns `kubectl stack apply`.
func NewCmdApply(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ApplyOptions{factory: f, IOStreams: streams, Wait: true, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "apply [-k DIR]",
		Short: "Build an overlay and apply it as an ApplySet: create, update, prune, wait",
		Long: templates.LongDesc(`
			Build the overlay with Kustomize, server-side apply every object in dependency
			order, record them as a KEP-3659 ApplySet (kubectl reads the same labels), prune
			members that left the overlay, wait until the stack is ready, and print a summary.`),
		Example: applyExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd)
		},
	}
	o.overlayFlags.addFlags(cmd)
	o.outputFlag.addFlag(cmd)
	cmd.Flags().StringVar(&o.DryRun, "dry-run", "none", `"server" sends every change to the API server as a dry run and persists nothing; "none" applies`)
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields that another field manager owns")
	cmd.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until every object is ready (rollouts done, claims bound)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits before it fails")
	_ = cmd.RegisterFlagCompletionFunc("dry-run", cobra.FixedCompletions([]string{"none", "server"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags before anything touches the cluster.
func (o *ApplyOptions) Validate() error {
	if o.DryRun != "none" && o.DryRun != "server" {
		return fmt.Errorf("--dry-run=%s is not supported: use --dry-run=server (client dry runs cannot see the cluster)", o.DryRun)
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	return o.outputFlag.validate()
}

// Run builds, applies and prints the summary; on failure it prints what was
// done before the error, so nothing half-applied goes unreported.
func (o *ApplyOptions) Run(cmd *cobra.Command) error {
	c, objs, err := o.load(o.factory)
	if err != nil {
		return err
	}
	sum, err := apply.Apply(cmd.Context(), c, objs, apply.Options{
		DryRun:         o.DryRun == "server",
		ForceConflicts: o.ForceConflicts,
		Wait:           o.Wait,
		Timeout:        o.Timeout,
		Progress:       o.ErrOut,
	})
	var notReady *apply.NotReadyError
	switch {
	case errors.As(err, &notReady):
		// Everything was applied; only the wait failed.
		if perr := o.print(o.Out, sum, sum.Print); perr != nil {
			return perr
		}
		return err
	case err != nil && len(sum.Results) > 0:
		fmt.Fprintf(o.ErrOut, "apply stopped after %d of %d objects:\n", len(sum.Results), len(objs))
		_ = sum.Print(o.ErrOut)
	}
	if err != nil {
		return kube.Explain(err)
	}
	return o.print(o.Out, sum, sum.Print)
}
