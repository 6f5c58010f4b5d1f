package cmd

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/stacks"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var listExample = templates.Examples(`
	# Every stack in the cluster
	kubectl stack list

	# The namespaces of the stacks that are not healthy, for a script
	kubectl stack list -o jsonpath='{range .items[?(@.status!="healthy")]}{.namespace}{"\n"}{end}'`)

// ListOptions are the flags and state of `kubectl stack list`.
type ListOptions struct {
	*printFlags
	target
	genericiooptions.IOStreams
}

// NewCmdList returns `kubectl stack list`.
func NewCmdList(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ListOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every stack in the cluster: namespace, overlay, revision, status, database, last backup",
		Long: templates.LongDesc(`
			List the stacks of every namespace (-A is implied; -n NAME lists that namespace's
			only): a stack is a namespace with the stack's ApplySet parent. For each: the
			overlay and number of its newest revision, its status (failed when that apply
			failed, degraded when a workload has fewer ready pods than it wants, else
			healthy; 'kubectl stack status -n NAMESPACE' checks much more), the database
			server's image, when the scheduled backup last succeeded, and its age. It reads
			metadata and workload status with a few lists whatever the number of stacks,
			never a Secret's data.
			Exit status: 0 listed (none found is said on stderr), 1 the cluster could not be
			read, 2 bad flags.`),
		Example: listExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	return cmd
}

// Complete builds the printer.
func (o *ListOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate has nothing to check.
func (o *ListOptions) Validate() error { return nil }

// Run lists the stacks.
func (o *ListOptions) Run(ctx context.Context) error {
	namespace := ""
	if o.explicit {
		namespace = o.namespace
	}
	found, err := stacks.List(ctx, o.clients, namespace)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		fmt.Fprintln(o.ErrOut, "No stacks found.")
	}
	now := time.Now()
	return o.print(o.Out, output{kind: kindStack, data: found, table: func(w io.Writer, to table.Options) error {
		return printStacks(w, found, now, to)
	}})
}

func printStacks(w io.Writer, found []*stacks.Stack, now time.Time, o table.Options) error {
	header := []string{"NAMESPACE", "SOURCE", "REVISION", "STATUS", "DATABASE", "LAST BACKUP", "AGE"}
	rows := make([][]string, 0, len(found))
	for _, s := range found {
		revision, backup := "-", "-"
		if s.Revision > 0 {
			revision = strconv.Itoa(s.Revision)
		}
		if s.LastBackup != nil {
			backup = duration.HumanDuration(now.Sub(*s.LastBackup)) + " ago"
		}
		rows = append(rows, []string{s.Namespace, cmp.Or(s.Source, "-"), revision, string(s.Health), cmp.Or(s.Database, "-"),
			backup, duration.HumanDuration(now.Sub(s.Created))})
	}
	return table.Write(w, header, rows, o)
}
