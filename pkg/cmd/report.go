package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/report"
)

var reportExample = templates.Examples(`
	# A support bundle to attach to a bug report
	kubectl stack report

	# Into a file of your choice, with the last 1000 lines of each log
	kubectl stack report -o /tmp/stack-report.zip --tail 1000`)

// ReportOptions are the flags and state of `kubectl stack report`.
type ReportOptions struct {
	overlayFlags
	Output         string
	Tail           int64
	IncludeSecrets bool
	target
	genericiooptions.IOStreams
}

// NewCmdReport returns `kubectl stack report`.
func NewCmdReport(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ReportOptions{Tail: 200, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "report [-o FILE.zip]",
		Short: "Write a support bundle (zip): status, logs, objects, events, nodes, netcheck, versions",
		Long: templates.LongDesc(`
			Write a zip for a bug report: status, the watcher's events, the last --tail lines of
			every container's log (and of the instance before a restart), every object of the
			stack as the API server has it with the namespace's Kubernetes events, the nodes'
			conditions, the rendered overlay, the netcheck verdicts, the plugin's and the
			server's versions. A part that cannot be read is named in failures.txt in the bundle
			(and on stderr); the others are written. Secrets keep their keys with their values
			replaced, unless --include-secrets. The file appears whole or not at all.
			Exit status: 0 written (even with parts missing), 1 the file could not be written,
			2 bad flags.`),
		Example: reportExample,
		Args:    usageArgs(cobra.NoArgs),
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "the zip to write (default: kubectl-stack-report-NAMESPACE-TIME.zip here)")
	cmd.Flags().Int64Var(&o.Tail, "tail", o.Tail, "lines of each container's log")
	cmd.Flags().BoolVar(&o.IncludeSecrets, "include-secrets", false, "keep the Secrets' values (the bundle then holds passwords)")
	return cmd
}

// Complete builds the clients and names the file.
func (o *ReportOptions) Complete(f cmdutil.Factory, _ *cobra.Command, _ []string) error {
	if err := o.completeTarget(f); err != nil {
		return err
	}
	if o.Output == "" {
		o.Output = fmt.Sprintf("kubectl-stack-report-%s-%s.zip", o.namespace, time.Now().UTC().Format("20060102T150405Z"))
	}
	return nil
}

// Validate checks the flags.
func (o *ReportOptions) Validate() error {
	if o.Tail < 1 {
		return fmt.Errorf("--tail must be 1 or more, got %d", o.Tail)
	}
	if filepath.Ext(o.Output) != ".zip" {
		return fmt.Errorf("-o %q: the bundle is a zip, name it FILE.zip", o.Output)
	}
	return nil
}

// Run writes the bundle beside its name and renames it into place.
func (o *ReportOptions) Run(ctx context.Context) error {
	if o.IncludeSecrets {
		fmt.Fprintln(o.ErrOut, "warning: --include-secrets: the bundle holds the stack's passwords; share it only where they may go")
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.Output), "."+filepath.Base(o.Output)+".*")
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	defer os.Remove(tmp.Name())
	parts := report.Parts(o.clients, report.Options{Namespace: o.namespace, Overlay: o.Kustomize, TailLines: o.Tail, IncludeSecrets: o.IncludeSecrets})
	res, err := report.Write(ctx, tmp, parts)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.Output)
	}
	if err != nil {
		return fmt.Errorf("writing the report %s: %w", o.Output, err)
	}
	for _, f := range res.Failed {
		fmt.Fprintf(o.ErrOut, "warning: not in the report: %s\n", f)
	}
	fmt.Fprintf(o.Out, "wrote %s: %d files, %d parts could not be read (failures.txt)\n", o.Output, len(res.Files), len(res.Failed))
	return nil
}
