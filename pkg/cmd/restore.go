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
	kubectl stack restore nightly.sql.gz --yes --keep-safety-copy --safety-dir /backups/safety

	# Verify the file and list what it would replace; nothing changes
	kubectl stack restore nightly.sql.gz --dry-run=server

	# The newest backup in a bucket, or one by its ID
	kubectl stack restore --from s3://backups/prod latest --yes
	kubectl stack restore --from s3://backups/prod 20261126T021700.000Z

	# Point in time: the newest verified backup before it, then the archived binary logs
	kubectl stack restore --from s3://backups/prod --to-time 2026-11-26T10:15:00Z --yes
	kubectl stack restore --from s3://backups/prod --to-position mysql-bin.000042:1337 --yes`)

// RestoreOptions are the flags and state of `kubectl stack restore`.
type RestoreOptions struct {
	Path string
	// From is a backup location; Path is then a backup's ID or "latest".
	From           locationFlags
	Yes            bool
	SafetyDir      string
	KeepSafetyCopy bool
	DryRun         string
	// ToTime and ToPosition ask for a point-in-time restore.
	ToTime     string
	ToPosition string
	AcceptGap  bool
	*printFlags

	pointInTime

	// dump is being verified while the restore readies the pod.
	dump *backup.Verifying
	target
	genericiooptions.IOStreams
}

// NewCmdRestore returns `kubectl stack restore`.
func NewCmdRestore(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RestoreOptions{printFlags: newPrintFlags(false), DryRun: "none", IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "restore FILE | --from LOCATION [ID|latest]",
		Short: "Replace the databases a backup holds with its content, or change nothing",
		Long: templates.LongDesc(`
			Verify FILE against FILE.sha256 and check it is a whole mysqldump, and ask for
			confirmation (unless --yes). Then take a safety copy: a verified dump of those of
			FILE's databases the server has, written to --safety-dir. Then drop FILE's
			databases and stream FILE into the mysql client inside the database pod over
			exec, so that they hold exactly what FILE holds; other databases are left alone.
			Other sessions whose default database is one of FILE's are ended first, each
			named: one idle inside a transaction would keep the drops waiting.

			If anything fails on the way (a statement the server refuses, the connection or
			the pod lost, the server's disk full, Ctrl-C), the databases are dropped again and
			the safety copy is loaded, so the server is left as it was, and the error says
			what happened and where the safety copy is. The safety copy is removed once a
			restore succeeded, unless --keep-safety-copy; after a failure it stays.
			Afterwards the tables and rows of each database are counted.

			With --from LOCATION (s3://BUCKET/PREFIX or a local folder) the backup ID (default:
			the newest complete one) is downloaded to --safety-dir, its sha256 checked against
			its manifest (a changed or damaged object is refused before anything changes), and
			restored as FILE would be; the download is removed afterwards.

			With --to-time TIME (RFC 3339, e.g. 2026-11-26T10:15:00Z) or --to-position
			FILE:OFFSET, and --from, it is a point-in-time restore: the newest verified backup
			that ended before the target is restored as above, then the binary logs archived
			by 'kubectl stack archive-binlogs' are replayed from the backup's coordinates up to
			the last transaction committed at or before the target, all under the same safety
			copy: if the replay fails, the server is put back as it was. It refuses to cross a
			gap in the archive unless --accept-gap, and names the recoverable windows.

			With --dry-run=server FILE is verified, the database pod checked, and the
			databases FILE would replace are listed with the tables and rows they hold
			now; nothing changes and no confirmation is asked.
			Exit status: 0 restored, 1 failed or cancelled (nothing changed), 2 bad flags,
			3 no database pod in the namespace.`),
		Example: restoreExample,
		Args:    usageArgs(cobra.RangeArgs(0, 1)),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"sql.gz", "sql"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: runVerb(f, o),
	}
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().StringVar(&o.SafetyDir, "safety-dir", backup.DefaultSafetyDir(), "local folder for the safety copy of what the restore replaces")
	cmd.Flags().BoolVar(&o.KeepSafetyCopy, "keep-safety-copy", false, "keep the safety copy after a restore that succeeded")
	addDryRunFlag(cmd, &o.DryRun, `"server" verifies FILE and lists what it would replace, changing nothing; "none" restores`)
	o.From.addFlags(cmd, "from", "restore a backup of this location, s3://BUCKET/PREFIX or a folder: ID, or the latest", false)
	cmd.Flags().StringVar(&o.ToTime, "to-time", "", "restore to this time (RFC 3339, UTC), replaying archived binary logs; needs --from")
	cmd.Flags().StringVar(&o.ToPosition, "to-position", "", "restore to this binary log position, FILE:OFFSET; needs --from")
	cmd.Flags().BoolVar(&o.AcceptGap, "accept-gap", false, "replay across a gap in the archived binary logs (the events in it are lost)")
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	return cmd
}

// Complete builds the printer, verifies FILE and builds the clients.
func (o *RestoreOptions) Complete(f cmdutil.Factory, _ *cobra.Command, args []string) error {
	if err := o.printFlags.complete(); err != nil {
		return err
	}
	switch {
	case o.From.raw == "" && len(args) == 0:
		return usageError(fmt.Errorf("name a backup FILE, or a location with --from LOCATION [ID|latest]"))
	case o.From.raw != "":
		o.Path = "latest"
		if len(args) == 1 {
			o.Path = args[0]
		}
		if err := o.completePointInTime(len(args) == 1); err != nil {
			return err
		}
	case o.ToTime != "" || o.ToPosition != "":
		return usageError(fmt.Errorf("--to-time and --to-position need --from LOCATION: the archived binary logs are there"))
	default:
		o.Path = args[0]
		o.dump = backup.StartVerify(o.Path)
		if err := o.completeTarget(f); err != nil {
			return o.dump.Before(context.Background(), err)
		}
		return nil
	}
	return o.completeTarget(f)
}

// Validate checks the flags.
func (o *RestoreOptions) Validate() error { return validateDryRun(o.DryRun) }

// Run confirms, restores and reports the counts.
func (o *RestoreOptions) Run(ctx context.Context) error {
	switch {
	case o.From.raw != "" && !o.pointInTime.asked():
		if err := o.fetch(ctx); err != nil {
			return err
		}
		defer backup.Discard(o.dump.Path)
	case o.From.raw != "":
		defer o.discard()
		if err := o.fetchPointInTime(ctx); err != nil {
			return err
		}
		defer backup.Discard(o.dump.Path)
	}
	if err := o.confirm(ctx); err != nil {
		return err
	}
	res, err := backup.Restore(ctx, o.clients, o.dump, backup.RestoreOptions{
		Namespace: o.namespace, SafetyDir: o.SafetyDir, KeepSafetyCopy: o.KeepSafetyCopy,
		RollbackContext: rollbackContext, Progress: o.ErrOut, DryRun: o.DryRun == "server", Replay: o.replay,
	})
	if err != nil {
		return err
	}
	if res.SafetyCopy != "" {
		fmt.Fprintf(o.ErrOut, "safety copy kept: %s\n", res.SafetyCopy)
	}
	o.reportReplay(res.DryRun)
	data := any(res)
	if o.replayed != nil {
		data = pointInTimeResult{RestoreResult: res, Replayed: o.replayed}
	}
	return o.print(o.Out, output{kind: "RestoreResult", data: data, table: func(w io.Writer, to table.Options) error {
		return printRestore(w, res, to)
	}})
}

// printRestore writes the databases' counts; for a dry run, what the
// restore would replace.
func printRestore(w io.Writer, res *backup.RestoreResult, o table.Options) error {
	header := []string{"DATABASE", "TABLES", "ROWS"}
	if res.DryRun {
		header = []string{"DATABASE", "WOULD REPLACE TABLES", "ROWS"}
	}
	var rows [][]string
	for _, n := range res.Databases {
		row := []string{n.Database, strconv.Itoa(n.Tables), strconv.FormatInt(n.Rows, 10)}
		if !n.Exists {
			row = []string{n.Database, "- (new database)", "-"}
		}
		rows = append(rows, row)
	}
	if err := table.Write(w, header, rows, o); err != nil || !res.DryRun || o.NoHeaders {
		return err
	}
	_, err := fmt.Fprintln(w, "(server dry run: nothing was changed)")
	return err
}

// confirm asks on a terminal; anywhere else only --yes lets it go on. A dry
// run changes nothing, so it asks nothing.
func (o *RestoreOptions) confirm(ctx context.Context) error {
	if o.Yes || o.DryRun == "server" {
		return nil
	}
	d, err := o.dump.Wait(ctx)
	if err != nil {
		return err
	}
	ns := o.namespace
	if !printers.IsTerminal(o.In) {
		return fmt.Errorf("restore replaces the databases %s in namespace %s: pass --yes to confirm without a terminal", strings.Join(d.Databases, ", "), ns)
	}
	fmt.Fprintf(o.ErrOut, "Restore %s into %s in namespace %s, replacing the databases %s? [y/N] ",
		o.Path, stack.MySQLPod, ns, strings.Join(d.Databases, ", "))
	answer, _ := bufio.NewReader(o.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("restore cancelled: nothing changed")}
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

// fetch downloads the backup o.Path names from the location, checked
// against its manifest.
func (o *RestoreOptions) fetch(ctx context.Context) error {
	loc, cat, err := o.From.catalog(ctx)
	if err != nil {
		return err
	}
	entry, err := cat.Find(o.Path)
	if err != nil {
		return err
	}
	o.Path = entry.ID
	fmt.Fprintf(o.ErrOut, "downloading backup %s from %s ...\n", entry.ID, loc)
	dump, err := backup.Fetch(ctx, loc, entry, o.SafetyDir)
	if err != nil {
		return err
	}
	o.dump = backup.Verified(dump)
	return nil
}
