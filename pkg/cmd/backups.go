package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var backupsExample = templates.Examples(`
	# The backups in a bucket, newest last
	kubectl stack backups --from s3://backups/prod --s3-endpoint https://objects.example.internal

	# As JSON, from the location in $KUBECTL_STACK_BACKUP_LOCATION
	kubectl stack backups -o json`)

// BackupsOptions are the flags and state of `kubectl stack backups`.
type BackupsOptions struct {
	From locationFlags
	*printFlags
	genericiooptions.IOStreams
}

// NewCmdBackups returns `kubectl stack backups` and its prune.
func NewCmdBackups(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &BackupsOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "backups [--from LOCATION]",
		Short: "List the backups in a location: time, size, databases, verified",
		Long: templates.LongDesc(`
			List the backups in LOCATION (s3://BUCKET/PREFIX or a local folder), oldest first:
			when each began, its size, its databases and whether its last restore test
			('kubectl stack backup verify') passed, then, when the location holds binary logs
			archived by 'kubectl stack archive-binlogs', the windows a point-in-time restore
			reaches (from the end of a verified backup to the newest event archived without a
			gap after it). Backups without a manifest (unfinished,
			failed, or interrupted) are incomplete: they are named on stderr, never restorable,
			and removed by 'kubectl stack backups prune'. The cluster is not contacted.
			Exit status: 0 listed, 1 the location could not be read, 2 bad flags.`),
		Example: backupsExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.From.addFlags(cmd, "from", "the backup location, s3://BUCKET/PREFIX or a folder", true)
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	cmd.AddCommand(NewCmdBackupsPrune(f, streams))
	return cmd
}

// Complete builds the printer.
func (o *BackupsOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks the location.
func (o *BackupsOptions) Validate() error { return o.From.parse() }

// backupList is the output of `kubectl stack backups`: the catalog and,
// with archived binary logs, the windows a point-in-time restore reaches.
type backupList struct {
	*backup.Catalog
	Recoverable []binlog.Window `json:"recoverable,omitempty"`
}

// Run lists the location.
func (o *BackupsOptions) Run(ctx context.Context) error {
	cat, err := o.From.catalog(ctx)
	if err != nil {
		return err
	}
	arc, err := binlog.Read(ctx, o.From.loc)
	if err != nil {
		return err
	}
	list := backupList{Catalog: cat, Recoverable: binlog.Windows(arc, cat)}
	return o.print(o.Out, output{kind: kindBackupList, data: list, table: func(w io.Writer, to table.Options) error {
		if err := printCatalog(w, o.ErrOut, cat, to); err != nil || len(arc.Chunks) == 0 || to.NoHeaders {
			return err
		}
		return printWindows(w, list.Recoverable)
	}})
}

// printWindows says what a point-in-time restore reaches.
func printWindows(w io.Writer, windows []binlog.Window) error {
	if len(windows) == 0 {
		_, err := fmt.Fprintln(w, "\npoint in time: none recoverable yet (it needs a verified backup taken while the archiver runs)")
		return err
	}
	for i, win := range windows {
		label := "\npoint in time:"
		if i > 0 {
			label = "              "
		}
		if _, err := fmt.Fprintf(w, "%s %s\n", label, win); err != nil {
			return err
		}
	}
	return nil
}

// printCatalog writes the complete backups as a table, and names the
// others on errOut.
func printCatalog(w, errOut io.Writer, cat *backup.Catalog, o table.Options) error {
	var rows [][]string
	var incomplete []string
	for _, b := range cat.Backups {
		if !b.Complete() {
			incomplete = append(incomplete, fmt.Sprintf("%s (%s)", b.ID, b.Problem))
			continue
		}
		m := b.Manifest
		rows = append(rows, []string{b.ID, m.Started.Format(time.RFC3339), byteSize(b.Bytes), strings.Join(m.DatabaseNames(), ","), verified(&b)})
	}
	if len(rows) == 0 {
		fmt.Fprintf(errOut, "no complete backup in %s\n", cat.Location)
	} else if err := table.Write(w, []string{"ID", "STARTED", "SIZE", "DATABASES", "VERIFIED"}, rows, o); err != nil {
		return err
	}
	if len(incomplete) > 0 {
		fmt.Fprintf(errOut, "not restorable: %s\n", strings.Join(incomplete, "; "))
	}
	return nil
}

func verified(b *backup.Entry) string {
	switch {
	case b.Verdict == nil:
		return "no"
	case b.Verdict.Passed:
		return "yes (" + b.Verdict.Tested.Format(time.DateOnly) + ")"
	}
	return "FAILED: " + b.Verdict.Message
}
