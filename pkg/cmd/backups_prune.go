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
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var pruneExample = templates.Examples(`
	# Keep the last 7 backups, one a day for 14 days and one a week for 8 weeks
	kubectl stack backups prune --from s3://backups/prod --keep-last 7 --keep-daily 14 --keep-weekly 8

	# What it would delete; nothing is deleted
	kubectl stack backups prune --keep-last 3 --dry-run=server`)

// PruneOptions are the flags and state of `kubectl stack backups prune`.
type PruneOptions struct {
	From      locationFlags
	Retention backup.Retention
	DebrisAge time.Duration
	DryRun    string
	*printFlags
	genericiooptions.IOStreams
}

// NewCmdBackupsPrune returns `kubectl stack backups prune`.
func NewCmdBackupsPrune(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &PruneOptions{printFlags: newPrintFlags(false), DryRun: "none", DebrisAge: backup.DefaultDebrisAge, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "prune --keep-last N [--keep-daily D] [--keep-weekly W]",
		Short: "Delete the backups a retention policy does not keep, and incomplete ones",
		Long: templates.LongDesc(`
			Keep the newest --keep-last backups, the newest of each of the last --keep-daily
			days and of the last --keep-weekly ISO weeks that have one (UTC), and delete the
			other complete backups of LOCATION. Whatever the policy says, the newest backup
			whose restore test passed is kept when no other verified one would be.

			Incomplete backups (no manifest) last written more than --debris-age ago are
			removed too, with unfinished uploads an interrupted backup left on the object
			store; a backup under way is younger. A backup whose manifest is of a newer
			plugin is left alone. The manifest goes first, so an interrupted prune leaves
			incomplete backups, never damaged restorable ones.
			Exit status: 0 pruned, 1 the location failed, 2 bad flags (nothing deleted).`),
		Example: pruneExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.From.addFlags(cmd, "from", "the backup location, s3://BUCKET/PREFIX or a folder", true)
	cmd.Flags().IntVar(&o.Retention.Last, "keep-last", 0, "keep the newest N backups")
	cmd.Flags().IntVar(&o.Retention.Daily, "keep-daily", 0, "keep the newest backup of each of the last D days that have one")
	cmd.Flags().IntVar(&o.Retention.Weekly, "keep-weekly", 0, "keep the newest backup of each of the last W weeks that have one")
	cmd.Flags().DurationVar(&o.DebrisAge, "debris-age", o.DebrisAge, "remove incomplete backups older than this (a backup under way is younger)")
	addDryRunFlag(cmd, &o.DryRun, `"server" reads the location and lists what would be deleted, deleting nothing; "none" deletes`)
	o.printFlags.addFlags(cmd, tableFlags{})
	return cmd
}

// Complete builds the printer.
func (o *PruneOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate refuses a policy that keeps nothing.
func (o *PruneOptions) Validate() error {
	if err := validateDryRun(o.DryRun); err != nil {
		return err
	}
	if o.DebrisAge < 0 {
		return fmt.Errorf("--debris-age %s: give a duration of 0 or more", o.DebrisAge)
	}
	if err := o.Retention.Validate(); err != nil {
		return err
	}
	return o.From.parse()
}

// Run plans and, unless a dry run, deletes.
func (o *PruneOptions) Run(ctx context.Context) error {
	plan, err := backup.ApplyRetention(ctx, o.From.loc, backup.PruneOptions{
		Retention: o.Retention, DebrisAge: o.DebrisAge, DryRun: o.DryRun == "server",
	})
	if err != nil {
		return err
	}
	return o.print(o.Out, output{kind: kindPruneResult, data: plan, table: func(w io.Writer, _ table.Options) error {
		_, err := fmt.Fprintln(w, describePrune(plan))
		return err
	}})
}

// describePrune says what a prune kept and deleted, or would.
func describePrune(plan *backup.Plan) string {
	verb := "deleted"
	if plan.DryRun {
		verb = "would delete"
	}
	return fmt.Sprintf("kept %d: %s\n%s %d: %s\n%s %d incomplete: %s", len(plan.Keep), list(plan.Keep), verb, len(plan.Delete), list(plan.Delete),
		verb, len(plan.Debris), list(plan.Debris))
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, " ")
}
