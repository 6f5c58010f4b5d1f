package cmd

import (
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
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
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
	SafetyDir      string
	KeepSafetyCopy bool
	DryRun         string
	// ToTime and ToPosition ask for a point-in-time restore.
	ToTime     string
	ToPosition string
	AcceptGap  bool
	// Parallel is how many tables load at once.
	Parallel int
	*printFlags
	confirmation

	pointInTime

	// dump is being verified while the restore readies the pod.
	dump *backup.Verifying
	// downloaded is the file ready fetched from --from, removed after.
	downloaded string
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
		Args:    positional(0, 1, "FILE, a backup file, or with --from a backup's ID or latest"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"sql.gz", "sql"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: runVerb(f, o),
	}
	o.addFlag(cmd, "replacing the databases")
	cmd.Flags().StringVar(&o.SafetyDir, "safety-dir", backup.DefaultSafetyDir(), "local folder for the safety copy of what the restore replaces")
	cmd.Flags().BoolVar(&o.KeepSafetyCopy, "keep-safety-copy", false, "keep the safety copy after a restore that succeeded")
	addDryRunFlag(cmd, &o.DryRun, `"server" verifies FILE and lists what it would replace, changing nothing; "none" restores`)
	o.From.addFlags(cmd, "from", "restore a backup of this location, s3://BUCKET/PREFIX or a folder: ID, or the latest", false)
	cmd.Flags().StringVar(&o.ToTime, "to-time", "", "restore to this time (RFC 3339, UTC), replaying archived binary logs; needs --from")
	cmd.Flags().StringVar(&o.ToPosition, "to-position", "", "restore to this binary log position, FILE:OFFSET; needs --from")
	cmd.Flags().BoolVar(&o.AcceptGap, "accept-gap", false, "replay across a gap in the archived binary logs (the events in it are lost)")
	cmd.Flags().IntVar(&o.Parallel, "parallel", 0, "how many tables load at once, each on its own connection; 1 loads the dump whole on one; 0 (default): the database container's CPU limit plus one, at most 8")
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	return cmd
}

// Complete builds the printer and reads what to restore.
func (o *RestoreOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	if err := o.printFlags.complete(); err != nil {
		return err
	}
	switch {
	case o.From.raw == "" && len(args) == 0:
		return fmt.Errorf("name a backup FILE, or a location with --from LOCATION [ID|latest]")
	case o.From.raw != "":
		o.Path = "latest"
		if len(args) == 1 {
			o.Path = args[0]
		}
		return o.completePointInTime(len(args) == 1)
	case o.ToTime != "" || o.ToPosition != "":
		return fmt.Errorf("--to-time and --to-position need --from LOCATION: the archived binary logs are there")
	}
	o.Path = args[0]
	return nil
}

// Validate checks the flags and FILE, and that the restore can be
// confirmed.
func (o *RestoreOptions) Validate() error {
	if err := validateDryRun(o.DryRun); err != nil {
		return err
	}
	if o.Parallel < 0 {
		return fmt.Errorf("--parallel %d: give how many tables may load at once, 1 or more (0: from the database's CPU limit)", o.Parallel)
	}
	if o.From.raw == "" {
		if err := backup.CheckFile(o.Path); err != nil {
			return err
		}
	} else if err := o.From.parse(); err != nil {
		return err
	}
	return o.require(o.DryRun != "server", o.In, "restore replaces the databases the backup holds")
}

// Run readies the backup (verified, or downloaded and checked), confirms,
// restores and reports the counts.
func (o *RestoreOptions) Run(ctx context.Context) error {
	if err := o.ready(ctx); err != nil {
		return err
	}
	defer o.discard()
	if err := o.confirm(ctx); err != nil {
		return err
	}
	res, err := backup.Restore(ctx, o.clients, o.dump, backup.RestoreOptions{
		Namespace: o.namespace, SafetyDir: o.SafetyDir, KeepSafetyCopy: o.KeepSafetyCopy,
		RollbackContext: rollbackContext, Progress: o.ErrOut, DryRun: o.DryRun == "server", Replay: o.replay(),
		Parallel: o.Parallel,
	})
	if err != nil {
		return err
	}
	if res.SafetyCopy != "" {
		fmt.Fprintf(o.ErrOut, "safety copy kept: %s\n", res.SafetyCopy)
	}
	return o.print(o.Out, o.output(res))
}

// ready starts verifying FILE, or downloads the backup (and for a point in
// time the binary logs) from the location.
func (o *RestoreOptions) ready(ctx context.Context) error {
	switch {
	case o.From.raw == "":
		o.dump = backup.StartVerify(o.Path)
		return nil
	case o.pointInTime.asked():
		return o.preparePointInTime(ctx)
	}
	entry, dump, err := backup.Download(ctx, o.From.loc, o.Path, o.SafetyDir, o.ErrOut)
	if err != nil {
		return err
	}
	o.Path, o.dump = entry.ID, backup.Verified(dump)
	o.downloaded = dump.Path
	return nil
}

// discard removes what ready downloaded.
func (o *RestoreOptions) discard() {
	if o.prepared != nil {
		o.prepared.Discard()
	}
	if o.downloaded != "" {
		backup.Discard(o.downloaded)
	}
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

// confirm asks on a terminal, naming the databases the backup replaces,
// when Validate said a confirmation is needed.
func (o *RestoreOptions) confirm(ctx context.Context) error {
	if !o.needed {
		return nil
	}
	d, err := o.dump.Wait(ctx)
	if err != nil {
		return err
	}
	question := fmt.Sprintf("Restore %s into the database in namespace %s, replacing the databases %s?",
		o.Path, o.namespace, strings.Join(d.Databases, ", "))
	return o.ask(o.In, o.ErrOut, question, "restore")
}

// rollbackContext is where a failed restore puts the databases back: not
// the command's context, which Ctrl-C may have ended, but one of its own
// that a further Ctrl-C (or ten minutes) ends.
func rollbackContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	return ctx, func() { cancel(); stop() }
}
