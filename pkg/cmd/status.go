package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/status"
)

// Exit codes of status, for scripts: 0 healthy, 1 not healthy (or an
// error), 3 no stack in the namespace.
const (
	exitUnhealthy   = 1
	exitNotDeployed = 3
)

var statusExample = templates.Examples(`
	# The pods of each tier with their IP and live serving-host, storage, URLs, warnings
	kubectl stack status

	# In a script: go on only when the stack is healthy
	kubectl stack status >/dev/null && echo ready

	# As JSON
	kubectl stack status -o json`)

// StatusOptions are the flags and state of `kubectl stack status`.
type StatusOptions struct {
	Output string

	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdStatus returns `kubectl stack status`.
func NewCmdStatus(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &StatusOptions{factory: f, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "status [-o wide|json|yaml]",
		Short: "Show the stack's pods, serving-hosts, storage, URLs and health",
		Long: templates.LongDesc(`
			One row per pod of the web, database and watcher tiers, with each web pod's
			serving-host read live through the API server's pod proxy, then the database's
			storage, the Services with their NodePort URLs, the NetworkPolicies and warnings.
			Exit status: 0 healthy, 1 not healthy, 3 no stack in the namespace.`),
		Example: statusExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Output != "" && o.Output != "wide" && o.Output != "json" && o.Output != "yaml" {
				return fmt.Errorf("--output %q is not supported: use wide, json or yaml, or leave it out for a table", o.Output)
			}
			return o.Run(cmd)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "wide, json or yaml (default: a table)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run prints the report and turns its health into the exit status.
func (o *StatusOptions) Run(cmd *cobra.Command) error {
	c, ns, err := namespacedClients(o.factory)
	if err != nil {
		return err
	}
	report, err := status.Collect(cmd.Context(), c.Typed, ns)
	var notDeployed status.ErrNotDeployed
	if errors.As(err, &notDeployed) {
		return &ExitError{Code: exitNotDeployed, Err: err}
	}
	if err != nil {
		return err
	}
	out := outputFlag{Format: o.Output}
	if o.Output == "wide" {
		out.Format = ""
	}
	if err := out.print(o.Out, report, func(w io.Writer) error { return report.Print(w, o.Output == "wide") }); err != nil {
		return err
	}
	if !report.Healthy {
		return &ExitError{Code: exitUnhealthy}
	}
	return nil
}
