package cmd

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var restoreExample = templates.Examples(`
	# Restore a backup, after a confirmation prompt
	kubectl stack restore kubectl-stack-k8s-assignment-20261126T001500Z.sql.gz

	# In a script
	kubectl stack restore /backups/nightly.sql.gz --yes`)

// RestoreOptions are the flags and state of `kubectl stack restore`.
type RestoreOptions struct {
	Path string
	Yes  bool
	outputFlag

	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdRestore returns `kubectl stack restore`.
func NewCmdRestore(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RestoreOptions{factory: f, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "restore FILE [--yes]",
		Short: "Load a backup into the database, after verifying its checksum",
		Long: templates.LongDesc(`
			Verify FILE against FILE.sha256 and check it is a whole mysqldump, ask for
			confirmation (unless --yes), then stream it into the mysql client inside the
			database pod over exec. The databases in the dump are created if missing and
			each table in it is replaced; other tables are left alone. Afterwards the tables
			and rows of each database are counted.`),
		Example: restoreExample,
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"sql.gz", "sql"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Path = args[0]
			if err := o.validate(); err != nil {
				return err
			}
			return o.Run(cmd)
		},
	}
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	o.addFlag(cmd)
	return cmd
}

// Run verifies, confirms, restores and reports the counts.
func (o *RestoreOptions) Run(cmd *cobra.Command) error {
	dump, err := backup.Verify(o.Path)
	if err != nil {
		return err
	}
	c, ns, err := namespacedClients(o.factory)
	if err != nil {
		return err
	}
	if err := o.confirm(dump, ns); err != nil {
		return err
	}
	counts, err := backup.Restore(cmd.Context(), c, ns, dump, o.ErrOut)
	if err != nil {
		return err
	}
	return o.print(o.Out, counts, func(w io.Writer) error {
		var rows [][]string
		for _, n := range counts {
			rows = append(rows, []string{n.Database, strconv.Itoa(n.Tables), strconv.FormatInt(n.Rows, 10)})
		}
		return table.Write(w, []string{"DATABASE", "TABLES", "ROWS"}, rows)
	})
}

// confirm asks on a terminal; anywhere else only --yes lets it go on.
func (o *RestoreOptions) confirm(d *backup.Dump, ns string) error {
	if o.Yes {
		return nil
	}
	if !printers.IsTerminal(o.In) {
		return fmt.Errorf("restore replaces the tables of %s in namespace %s: pass --yes to confirm without a terminal", strings.Join(d.Databases, ", "), ns)
	}
	fmt.Fprintf(o.ErrOut, "Restore %s into %s in namespace %s, replacing the tables it holds of %s? [y/N] ",
		o.Path, stack.MySQLPod, ns, strings.Join(d.Databases, ", "))
	answer, _ := bufio.NewReader(o.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: 1, Err: fmt.Errorf("restore cancelled: nothing changed")}
	}
	return nil
}
