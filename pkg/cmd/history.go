package cmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var historyExample = templates.Examples(`
	# The stack's revisions, oldest first
	kubectl stack history

	# As JSON, for a script: the newest applied revision's number
	kubectl stack history -o jsonpath='{.items[?(@.status=="applied")].revision}'`)

// HistoryOptions are the flags and state of `kubectl stack history`.
type HistoryOptions struct {
	*printFlags
	target
	genericiooptions.IOStreams
}

// NewCmdHistory returns `kubectl stack history`.
func NewCmdHistory(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &HistoryOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the stack's revisions: every apply and rollback that changed something",
		Long: templates.LongDesc(`
			List the revisions recorded in the stack's namespace, oldest first: number, time,
			the user as the API server authenticated them, the overlay (built-in name or folder,
			and a digest of the files it read), what the apply did, and how it ended (applied,
			failed, rolled back). Each is a Secret of type kubectl-stack.io/revision.v1 that
			holds the rendered objects; 'kubectl stack rollback N' re-applies them. A revision
			Secret changed outside the plugin is listed as invalid.
			Exit status: 0 listed, 1 the history could not be read, 2 bad flags,
			3 no revisions in the namespace.`),
		Example: historyExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	return cmd
}

// Complete builds the printer.
func (o *HistoryOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate has nothing to check.
func (o *HistoryOptions) Validate() error { return nil }

// Run lists the revisions.
func (o *HistoryOptions) Run(ctx context.Context) error {
	entries, err := history.NewStore(o.clients.Typed, o.namespace).List(ctx)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return &stack.NotDeployedError{Namespace: o.namespace, Missing: "revision recorded by `kubectl stack apply`"}
	}
	var revs []*history.Revision
	for _, e := range entries {
		if e.Err != nil {
			fmt.Fprintf(o.ErrOut, "warning: revision %d: %s\n", e.Number, kube.OneLine(e.Err))
			continue
		}
		revs = append(revs, e.Revision)
	}
	return o.print(o.Out, output{kind: kindRevision, data: revs, table: func(w io.Writer, to table.Options) error {
		return printHistory(w, entries, to)
	}})
}

func printHistory(w io.Writer, entries []history.Entry, o table.Options) error {
	header := []string{"REVISION", "TIME", "USER", "SOURCE", "CHANGES", "STATUS", "DESCRIPTION"}
	rows := make([][]string, 0, len(entries))
	for _, e := range entries {
		if e.Err != nil {
			rows = append(rows, []string{strconv.Itoa(e.Number), "-", "-", "-", "-", "invalid", "see the warning above"})
			continue
		}
		r := e.Revision
		desc := r.Description
		if r.Error != "" {
			desc += ": " + r.Error
		}
		rows = append(rows, []string{strconv.Itoa(r.Number), r.Time.Format(time.RFC3339), r.User,
			r.Source + " " + shortDigest(r.Digest), r.Changes.String(), string(r.Status), desc})
	}
	return table.Write(w, header, rows, o)
}

// shortDigest is a digest's first 12 hex digits, as image IDs are shown.
func shortDigest(d string) string {
	const prefix = len("sha256:")
	if len(d) < prefix+12 {
		return d
	}
	return "(" + d[prefix:prefix+12] + ")"
}
