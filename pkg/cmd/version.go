package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// VersionOptions are the flags of `kubectl stack version`.
type VersionOptions struct {
	*printFlags
	genericiooptions.IOStreams
}

// pluginVersion is what -o prints.
type pluginVersion struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// NewCmdVersion prints the plugin's version; it needs no cluster.
func NewCmdVersion(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the plugin's version",
		Long:    "Print the plugin's version and commit; it needs no cluster. Exit status: 0 printed, 2 bad flags.",
		Example: "  kubectl stack version\n  kubectl stack version -o json",
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{})
	return cmd
}

// Complete builds the printer.
func (o *VersionOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate has nothing to check.
func (o *VersionOptions) Validate() error { return nil }

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	v := pluginVersion{Version: version.Version, Commit: version.Commit}
	return o.print(o.Out, output{kind: kindVersion, data: v, table: func(w io.Writer, _ table.Options) error {
		_, err := fmt.Fprintln(w, version.Line())
		return err
	}})
}
