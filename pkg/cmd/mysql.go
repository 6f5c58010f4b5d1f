package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/remotecommand"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"
	"k8s.io/kubectl/pkg/util/term"
	"k8s.io/utils/exec"

	"github.com/kubectl-stack/kubectl-stack/pkg/dbshell"
	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

var mysqlExample = templates.Examples(`
	# An interactive session as the application's user, in its database
	kubectl stack mysql

	# As root, in another database
	kubectl stack mysql --user root --database mysql

	# One statement, or a script from a file, for scripts
	kubectl stack mysql -- -e 'SELECT COUNT(*) FROM visits'
	kubectl stack mysql < schema.sql`)

// MySQLOptions are the flags and state of `kubectl stack mysql`.
type MySQLOptions struct {
	User     string
	Database string
	args     []string
	target
	genericiooptions.IOStreams
}

// NewCmdMySQL returns `kubectl stack mysql`.
func NewCmdMySQL(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &MySQLOptions{User: "app", IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "mysql [--user app|root] [--database NAME] [-- MYSQL-ARGS]",
		Short: "Run the mysql client in the database pod: a session on a terminal, plain streams for scripts",
		Long: templates.LongDesc(`
			Run the mysql client in mysql-0 as the stack's application user (or root), in its
			database unless --database says another. On a terminal it is an interactive session
			with a terminal in the pod: Ctrl-C cancels the running statement, \q ends it.
			Otherwise stdin, stdout and stderr are plain streams, so a statement (-- -e ...) or a
			script (< file.sql) runs as from any client. The password comes from the stack's
			Secret inside the container, never on a command line, in a process list or in shell
			history; the client speaks utf8mb4. Arguments after -- go to mysql.
			Exit status: 0 done, 1 an SQL error (the client's own status) or the pod out of reach, 2 bad flags, 3 no stack in
			the namespace.`),
		Example:           mysqlExample,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runVerb(f, o),
	}
	cmd.Flags().StringVarP(&o.User, "user", "u", o.User, "the database account: app (the stack's application user) or root")
	cmd.Flags().StringVarP(&o.Database, "database", "D", "", "the database to use (default: the stack's, for app)")
	_ = cmd.RegisterFlagCompletionFunc("user", cobra.FixedCompletions(dbshell.Users, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete keeps the arguments: they are mysql's.
func (o *MySQLOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.args = args
	return nil
}

// Validate checks the account.
func (o *MySQLOptions) Validate() error {
	_, err := dbshell.Script(o.User)
	return err
}

// Run starts the client, on a terminal when stdin is one, and returns its
// exit status as the plugin's.
func (o *MySQLOptions) Run(ctx context.Context) error {
	pod, err := galera.Serving(ctx, o.clients, o.namespace)
	if err != nil {
		return err
	}
	opts := dbshell.Options{Namespace: o.namespace, Pod: pod.Name, User: o.User, Database: o.Database, Args: o.args}
	tty := term.TTY{In: o.In, Out: o.Out, Raw: true}
	if tty.IsTerminalIn() {
		opts.Sizes = sizeQueue{tty.MonitorSize(tty.GetSize())}
		err = tty.Safe(func() error { return dbshell.Run(ctx, o.clients, opts, o.In, o.Out, nil) })
	} else {
		err = dbshell.Run(ctx, o.clients, opts, o.In, o.Out, o.ErrOut)
	}
	var exitErr exec.ExitError
	if errors.As(err, &exitErr) {
		// The client said why on stderr already.
		return &ExitError{Code: exitErr.ExitStatus()}
	}
	if err != nil {
		return fmt.Errorf("running mysql in %s/%s: %w", o.namespace, pod.Name, kube.Explain(err))
	}
	return nil
}

// sizeQueue hands kubectl's terminal sizes to client-go's executor: the
// two packages declare the same struct twice.
type sizeQueue struct{ term.TerminalSizeQueue }

func (q sizeQueue) Next() *remotecommand.TerminalSize {
	s := q.TerminalSizeQueue.Next()
	if s == nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: s.Width, Height: s.Height}
}
