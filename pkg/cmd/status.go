package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
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
	kubectl stack status -o json

	# Redraw whenever a pod of the stack changes; Ctrl-C ends it
	kubectl stack status --watch`)

// StatusOptions are the flags and state of `kubectl stack status`.
type StatusOptions struct {
	Output string
	Watch  bool

	factory cmdutil.Factory
	drawn   bool // a report is on the screen (--watch)
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
			With --watch the report is redrawn on every change a watch of the stack's pods
			reports. Colour only on a terminal, and never with NO_COLOR set.
			Exit status: 0 healthy, 1 not healthy, 3 no stack in the namespace
			(with --watch: of the last report drawn).`),
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
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", false, "redraw on every change to the stack's pods until Ctrl-C")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run prints the report, once or on every change, and turns the health of
// the last one into the exit status.
func (o *StatusOptions) Run(cmd *cobra.Command) error {
	c, ns, err := namespacedClients(o.factory)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if !o.Watch {
		return o.draw(status.Collect(ctx, c, ns))
	}
	var last error
	err = status.Watch(ctx, c, ns, func(report *status.Report, err error) error {
		if ctx.Err() != nil {
			return nil // Ctrl-C during a read: keep the last report's verdict
		}
		o.clear()
		last = o.draw(report, err)
		var exit *ExitError
		if last != nil && !errors.As(last, &exit) {
			return last // not a verdict but a failure: stop watching
		}
		return nil
	})
	if err != nil {
		return err
	}
	return last
}

// clear starts a redraw: a clean screen on a terminal, a blank line between
// reports elsewhere (a file or a pipe keeps every report).
func (o *StatusOptions) clear() {
	switch {
	case printers.IsTerminal(o.Out) && o.Output != "json" && o.Output != "yaml":
		fmt.Fprint(o.Out, "\x1b[H\x1b[2J")
	case o.drawn && o.Output == "":
		fmt.Fprintln(o.Out)
	case o.drawn && o.Output == "yaml":
		fmt.Fprintln(o.Out, "---")
	}
	o.drawn = true
}

// draw prints one report and returns its verdict as an exit error.
func (o *StatusOptions) draw(report *status.Report, err error) error {
	var notDeployed status.ErrNotDeployed
	if errors.As(err, &notDeployed) {
		if o.Watch {
			fmt.Fprintln(o.Out, err)
		}
		return &ExitError{Code: exitNotDeployed, Err: err}
	}
	if err != nil {
		return err
	}
	out := outputFlag{Format: o.Output}
	if o.Output == "wide" {
		out.Format = ""
	}
	opts := status.PrintOptions{Wide: o.Output == "wide", Color: printers.AllowsColorOutput(o.Out)}
	if err := out.print(o.Out, report, func(w io.Writer) error { return report.Print(w, opts) }); err != nil {
		return err
	}
	if !report.Healthy {
		return &ExitError{Code: exitUnhealthy}
	}
	return nil
}
