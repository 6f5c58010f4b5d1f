package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/status"
)

var statusExample = templates.Examples(`
	# The pods of each tier with their IP and live serving-host, storage, URLs, warnings
	kubectl stack status

	# In a script: go on only when the stack is healthy
	kubectl stack status >/dev/null && echo ready

	# The web pods' IPs, and the pods' names
	kubectl stack status -o jsonpath='{.pods[?(@.component=="web")].podIP}'
	kubectl stack status -o name

	# Redraw whenever a pod of the stack changes; Ctrl-C ends it
	kubectl stack status --watch`)

// StatusOptions are the flags and state of `kubectl stack status`.
type StatusOptions struct {
	*printFlags
	Watch      bool
	LagWarning time.Duration

	drawn bool // a report is on the screen (--watch)
	target
	genericiooptions.IOStreams
}

// NewCmdStatus returns `kubectl stack status`.
func NewCmdStatus(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &StatusOptions{printFlags: newPrintFlags(true), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the stack's pods, serving-hosts, storage, URLs and health",
		Long: templates.LongDesc(`
			One row per pod of the web, database and watcher tiers, with each web pod's
			serving-host read live through the API server's pod proxy, then the database's
			storage, the Services with their NodePort URLs, the NetworkPolicies, the binary log
			archiver's lag and the recoverable windows (when components/binlog-archive runs),
			and warnings.
			With --watch the report is redrawn on every change a watch of the stack's pods
			reports. Colour only on a terminal, and never with NO_COLOR set.
			Exit status: 0 healthy, 1 not healthy, 2 bad flags, 3 no stack in the
			namespace (with --watch: of the last report drawn).`),
		Example: statusExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{wide: true, noHeaders: true, showLabels: true})
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", false, "redraw on every change to the stack's pods until Ctrl-C")
	cmd.Flags().DurationVar(&o.LagWarning, "archive-lag-warning", defaultLagWarning, "warn when the binary log archive is further behind the database than this")
	return cmd
}

// Complete builds the printer.
func (o *StatusOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks the archive lag's threshold.
func (o *StatusOptions) Validate() error {
	if o.LagWarning <= 0 {
		return fmt.Errorf("--archive-lag-warning must be positive, got %s", o.LagWarning)
	}
	return nil
}

// defaultLagWarning is how far behind the binary log archive may be before
// status warns.
const defaultLagWarning = 2 * time.Minute

// Run prints the report, once or on every change, and turns the health of
// the last one into the exit status.
func (o *StatusOptions) Run(ctx context.Context) error {
	if !o.Watch {
		return o.draw(status.Collect(ctx, o.clients, o.namespace, o.LagWarning))
	}
	var last error
	err := status.Watch(ctx, o.clients, o.namespace, o.LagWarning, func(report *status.Report, err error) error {
		switch {
		case ctx.Err() != nil && !o.drawn:
			return kube.Explain(ctx.Err()) // Ctrl-C before a first report: no verdict to keep
		case ctx.Err() != nil:
			return nil // Ctrl-C during a read: keep the last report's verdict
		}
		o.clear()
		last = o.draw(report, err)
		var exit *ExitError
		var notDeployed *stack.NotDeployedError
		if last != nil && !errors.As(last, &exit) && !errors.As(last, &notDeployed) {
			return last // not a verdict but a failure: stop watching
		}
		return nil
	})
	if err != nil {
		return err
	}
	return last
}

// clear starts a redraw of the table: a clean screen on a terminal, a
// blank line between reports elsewhere (a file or a pipe keeps every
// report). kubectl's printers separate their own documents.
func (o *StatusOptions) clear() {
	switch {
	case !o.human():
	case printers.IsTerminal(o.Out):
		fmt.Fprint(o.Out, "\x1b[H\x1b[2J")
	case o.drawn:
		fmt.Fprintln(o.Out)
	}
	o.drawn = true
}

// draw prints one report and returns its verdict as an error.
func (o *StatusOptions) draw(report *status.Report, err error) error {
	var notDeployed *stack.NotDeployedError
	if errors.As(err, &notDeployed) && o.Watch {
		fmt.Fprintln(o.Out, err)
	}
	if err != nil {
		return err
	}
	if err := o.print(o.Out, reportOutput(report)); err != nil {
		return err
	}
	if !report.Healthy {
		return &ExitError{Code: ExitFailure}
	}
	return nil
}

func reportOutput(r *status.Report) output {
	out := output{kind: kindStackStatus, data: r, table: r.Print}
	for _, row := range r.Rows {
		out.names = append(out.names, objectRef{APIVersion: "v1", Kind: "Pod", Namespace: r.Namespace, Name: row.Pod})
	}
	return out
}
