package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

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
	kubectl stack restore /backups/nightly.sql.gz --yes

	# Keep the safety copy of what the restore replaced
	kubectl stack restore nightly.sql.gz --yes --keep-safety-copy --safety-dir /backups/safety`)

// RestoreOptions are the flags and state of `kubectl stack restore`.
type RestoreOptions struct {
	Path           string
	Yes            bool
	SafetyDir      string
	KeepSafetyCopy bool
	outputFlag

	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdRestore returns `kubectl stack restore`.
func NewCmdRestore(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RestoreOptions{factory: f, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "restore FILE [--yes]",
		Short: "Replace the databases a backup holds with its content, or change nothing",
		Long: templates.LongDesc(`
			Verify FILE against FILE.sha256 and check it is a whole mysqldump, and ask for
			confirmation (unless --yes). Then take a safety copy: a verified dump of those of
			FILE's databases the server has, written to --safety-dir. Then drop FILE's
			databases and stream FILE into the mysql client inside the database pod over
			exec, so that they hold exactly what FILE holds; other databases are left alone.

			If anything fails on the way (a statement the server refuses, the connection or
			the pod lost, the server's disk full, Ctrl-C), the databases are dropped again and
			the safety copy is loaded, so the server is left as it was, and the error says
			what happened and where the safety copy is. The safety copy is removed once a
			restore succeeded, unless --keep-safety-copy; after a failure it stays.
			Afterwards the tables and rows of each database are counted.`),
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
	cmd.Flags().StringVar(&o.SafetyDir, "safety-dir", backup.DefaultSafetyDir(), "local folder for the safety copy of what the restore replaces")
	cmd.Flags().BoolVar(&o.KeepSafetyCopy, "keep-safety-copy", false, "keep the safety copy after a restore that succeeded")
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
	res, err := backup.Restore(cmd.Context(), c, dump, backup.RestoreOptions{
		Namespace: ns, SafetyDir: o.SafetyDir, KeepSafetyCopy: o.KeepSafetyCopy,
		RollbackContext: rollbackContext, Progress: o.ErrOut,
	})
	if err != nil {
		return err
	}
	if res.SafetyCopy != "" {
		fmt.Fprintf(o.ErrOut, "safety copy kept: %s\n", res.SafetyCopy)
	}
	return o.print(o.Out, res, func(w io.Writer) error {
		var rows [][]string
		for _, n := range res.Databases {
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
		return fmt.Errorf("restore replaces the databases %s in namespace %s: pass --yes to confirm without a terminal", strings.Join(d.Databases, ", "), ns)
	}
	fmt.Fprintf(o.ErrOut, "Restore %s into %s in namespace %s, replacing the databases %s? [y/N] ",
		o.Path, stack.MySQLPod, ns, strings.Join(d.Databases, ", "))
	answer, _ := bufio.NewReader(o.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: 1, Err: fmt.Errorf("restore cancelled: nothing changed")}
	}
	return nil
}

// rollbackContext is where a failed restore puts the databases back: not
// the command's context, which Ctrl-C may have ended, but one of its own
// that a further Ctrl-C (or ten minutes) ends.
func rollbackContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	return ctx, func() { cancel(); stop() }
}
