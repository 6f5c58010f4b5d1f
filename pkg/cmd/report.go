package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/report"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var reportExample = templates.Examples(`
	# A support bundle to attach to a bug report
	kubectl stack report

	# Into a file of your choice, with the last 1000 lines of each log
	kubectl stack report /tmp/stack-report.zip --tail 1000

	# What was written, for a script
	kubectl stack report /tmp/stack-report.zip -o json`)

// ReportOptions are the flags and state of `kubectl stack report`.
type ReportOptions struct {
	overlayFlags
	*printFlags
	Path           string
	Tail           int64
	IncludeSecrets bool
	target
	genericiooptions.IOStreams
}

// reportResult is what report prints: the file and what is in it.
type reportResult struct {
	Path string `json:"path"`
	*report.Result
}

// NewCmdReport returns `kubectl stack report`.
func NewCmdReport(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ReportOptions{printFlags: newPrintFlags(false), Tail: 200, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "report [FILE.zip]",
		Short: "Write a support bundle (zip): status, logs, objects, events, nodes, netcheck, versions",
		Long: templates.LongDesc(`
			Write a zip for a bug report to FILE.zip (default: kubectl-stack-report-NAMESPACE-TIME.zip
			here): status, the watcher's events, the last --tail lines of every container's log
			(and of the instance before a restart), every object of the stack as the API server
			has it with the namespace's Kubernetes events, the nodes' conditions, the rendered
			overlay, the netcheck verdicts, the plugin's and the server's versions. A part that
			cannot be read is named in failures.txt in the bundle (and on stderr); the others
			are written. Secrets keep their keys with their values replaced, unless
			--include-secrets. The file appears whole or not at all.
			Exit status: 0 written (even with parts missing), 1 the file could not be written,
			2 bad flags.`),
		Example: reportExample,
		Args:    positional(0, 1, "FILE.zip, the bundle to write"),
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	o.printFlags.addFlags(cmd, tableFlags{})
	cmd.Flags().Int64Var(&o.Tail, "tail", o.Tail, "lines of each container's log")
	cmd.Flags().BoolVar(&o.IncludeSecrets, "include-secrets", false, "keep the Secrets' values (the bundle then holds passwords)")
	return cmd
}

// Complete reads FILE. -o is a format here as in every verb; a zip named
// with it (as the plugin once took it) gets the new way said.
func (o *ReportOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	if f := o.format(); strings.HasSuffix(f, ".zip") {
		return fmt.Errorf("-o %q: -o is the output format; name the bundle as an argument: kubectl stack report %s", f, f)
	}
	if len(args) == 1 {
		o.Path = args[0]
	}
	return o.printFlags.complete()
}

// Validate checks the flags and the bundle's name.
func (o *ReportOptions) Validate() error {
	if o.Tail < 1 {
		return fmt.Errorf("--tail must be 1 or more, got %d", o.Tail)
	}
	if o.Path == "" {
		return nil // named once the namespace is known
	}
	if filepath.Ext(o.Path) != ".zip" {
		return fmt.Errorf("%q: the bundle is a zip, name it FILE.zip", o.Path)
	}
	if dir, err := os.Stat(filepath.Dir(o.Path)); err != nil || !dir.IsDir() {
		return fmt.Errorf("folder %s does not exist: create it first", filepath.Dir(o.Path))
	}
	return nil
}

// Run writes the bundle beside its name and renames it into place.
func (o *ReportOptions) Run(ctx context.Context) error {
	if o.Path == "" {
		o.Path = fmt.Sprintf("kubectl-stack-report-%s-%s.zip", o.namespace, time.Now().UTC().Format("20060102T150405Z"))
	}
	if o.IncludeSecrets {
		fmt.Fprintln(o.ErrOut, "warning: --include-secrets: the bundle holds the stack's passwords; share it only where they may go")
	}
	res, err := o.write(ctx)
	if err != nil {
		return fmt.Errorf("writing the report %s: %w", o.Path, err)
	}
	for _, f := range res.Failed {
		fmt.Fprintf(o.ErrOut, "warning: not in the report: %s\n", f)
	}
	return o.print(o.Out, output{kind: kindReport, data: reportResult{Path: o.Path, Result: res}, table: func(w io.Writer, _ table.Options) error {
		_, err := fmt.Fprintf(w, "wrote %s: %d files, %d parts could not be read (failures.txt)\n", o.Path, len(res.Files), len(res.Failed))
		return err
	}})
}

// write writes the bundle into a hidden file beside Path and renames it
// into place: the file appears whole or not at all.
func (o *ReportOptions) write(ctx context.Context) (*report.Result, error) {
	tmp, err := os.CreateTemp(filepath.Dir(o.Path), "."+filepath.Base(o.Path)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	parts := report.Parts(o.clients, report.Options{Namespace: o.namespace, Overlay: o.Kustomize, TailLines: o.Tail, IncludeSecrets: o.IncludeSecrets})
	res, err := report.Write(ctx, tmp, parts)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.Path)
	}
	return res, err
}
