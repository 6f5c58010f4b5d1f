package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/clone"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/status"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var cloneExample = templates.Examples(`
	# A copy of production as it was at 09:41, in namespace incident-42, on a NodePort the cluster picks
	kubectl stack clone --from s3://backups/prod --to-time 2026-12-06T09:41:00Z -n incident-42

	# The newest backup, from another overlay, on NodePort 30090
	kubectl stack clone --from s3://backups/prod latest -n staging -k params/staging --node-port 30090

	# What it would do, checked against the cluster; nothing changes
	kubectl stack clone --from /backups/prod 20261206T021700.000Z -n preview --dry-run=server`)

// CloneOptions are the flags and state of `kubectl stack clone`.
type CloneOptions struct {
	From      locationFlags
	ID        string
	ToTime    string
	AcceptGap bool
	overlayFlags
	NodePort  int32
	SafetyDir string
	DryRun    string
	Timeout   time.Duration
	historyFlags
	*printFlags

	request clone.Request
	target
	genericiooptions.IOStreams
}

// NewCmdClone returns `kubectl stack clone`.
func NewCmdClone(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &CloneOptions{printFlags: newPrintFlags(false), DryRun: "none", Timeout: 5 * time.Minute, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "clone --from LOCATION [ID|latest] [--to-time TIME] -n NEW",
		Short: "Make a new stack in namespace NEW from a backup, at a point in time if asked",
		Long: templates.LongDesc(`
			Make a new stack in namespace NEW (-n, required), which must not exist or hold
			no Pod, Service, claim or stack (Secrets made ahead, such as prod's credentials,
			may be there). The backup ID (default: the newest complete one) of LOCATION is
			downloaded and checked first; with --to-time the newest verified backup before
			that time is, with the binary logs archived after it, and the time must lie in
			the archive's window. Then the overlay (-k, default: the one the backup's
			manifest records) is applied into NEW, moved there as a parameters folder of
			'kubectl stack init' would be (namespace, RoleBinding subjects, the dev
			volume's name), with the web tier at 0 replicas; the database is loaded from
			the backup and rolled forward to the time; then the web tier starts. It ends
			with the new stack's status. The source stack is never touched: LOCATION is
			only read, and an overlay that would back the clone up into LOCATION is refused.
			--dry-run=server makes every check (the backup, the namespace, objects or a
			NodePort another stack holds) and prints the plan; nothing changes.
			Exit status: 0 cloned and healthy, 1 failed (an incomplete clone says how to
			remove it) or not healthy, 2 bad flags.`),
		Example: cloneExample,
		Args:    positional(0, 1, "ID, a backup's ID or latest"),
		RunE:    runVerb(f, o),
	}
	o.From.addFlags(cmd, "from", "the backup location to clone from, s3://BUCKET/PREFIX or a folder (only read)", false)
	cmd.Flags().StringVar(&o.ToTime, "to-time", "", "the point in time (RFC 3339, UTC) the copy is rolled forward to from the archived binary logs")
	cmd.Flags().BoolVar(&o.AcceptGap, "accept-gap", false, "replay across a gap in the archived binary logs (the events in it are lost)")
	o.overlayFlags.addFlags(cmd)
	o.addImageFlags(cmd)
	cmd.Flags().Int32Var(&o.NodePort, "node-port", 0, "the web Service's NodePort, 30000-32767 (default: one the API server picks)")
	cmd.Flags().StringVar(&o.SafetyDir, "safety-dir", backup.DefaultSafetyDir(), "local folder the backup and binary logs are downloaded to")
	addDryRunFlag(cmd, &o.DryRun, `"server" checks the backup, the namespace and the objects against the cluster and prints the plan; "none" clones`)
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each apply waits for the stack to be ready")
	o.historyFlags.addFlags(cmd)
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	return cmd
}

// Complete reads the backup to clone, the time and the namespace, which
// must be given.
func (o *CloneOptions) Complete(_ cmdutil.Factory, cmd *cobra.Command, args []string) error {
	if err := o.printFlags.complete(); err != nil {
		return err
	}
	if !cmd.Flags().Changed("namespace") {
		return errors.New("name the new stack's namespace with -n NEW")
	}
	o.request.Namespace, _ = cmd.Flags().GetString("namespace")
	o.request.ID, o.request.AcceptGap, o.request.Overlay = "latest", o.AcceptGap, o.Kustomize
	if len(args) == 1 {
		o.request.ID = args[0]
	}
	switch {
	case o.ToTime != "" && len(args) == 1:
		return fmt.Errorf("a clone to a point in time picks its backup: drop the ID %q, or drop --to-time", args[0])
	case o.ToTime != "":
		t, err := parseToTime(o.ToTime)
		if err != nil {
			return err
		}
		o.request.Target = t
	case o.AcceptGap:
		return errors.New("--accept-gap goes with --to-time")
	}
	return nil
}

// Validate checks the flags without I/O.
func (o *CloneOptions) Validate() error {
	if o.From.raw == "" {
		return errors.New("name the backup location to clone from with --from LOCATION")
	}
	if err := o.From.parse(); err != nil {
		return err
	}
	o.request.From = o.From.loc
	if o.NodePort != 0 && (o.NodePort < 30000 || o.NodePort > 32767) {
		return fmt.Errorf("--node-port %d is outside the NodePort range 30000-32767", o.NodePort)
	}
	if err := validateDryRun(o.DryRun); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	if err := o.validateRegistry(); err != nil {
		return err
	}
	return o.historyFlags.validate()
}

// Run plans, prepares the objects, and clones (or checks, for a dry run);
// then prints the result and the new stack's status.
func (o *CloneOptions) Run(ctx context.Context) error {
	plan, err := clone.NewPlan(ctx, o.clients, o.request)
	if err != nil {
		return err
	}
	o.Kustomize = plan.Overlay
	rendered, err := o.render()
	if err != nil {
		return err
	}
	objs, err := clone.Prepare(rendered.Objects, plan, o.NodePort)
	if err != nil {
		return err
	}
	set, err := apply.FromObjects(o.clients, objs, plan.Namespace, true)
	if err != nil {
		return err
	}
	// What an apply checks before it writes, before the download: the
	// namespace does not exist yet, so no server dry run can.
	if err := apply.Guard(ctx, o.clients, set); err != nil {
		return err
	}
	if o.DryRun == "server" {
		return o.print(o.Out, output{kind: kindClonePlan, data: plan, table: func(w io.Writer, _ table.Options) error {
			return printClonePlan(w, plan, len(set.Objects))
		}})
	}
	applyOpts := apply.Options{Wait: true, Timeout: o.Timeout, Progress: o.ErrOut}
	res, err := clone.Run(ctx, o.clients, clone.Options{
		Request: o.request, Plan: plan, Set: set, Dir: o.SafetyDir, RollbackContext: rollbackContext, Progress: o.ErrOut,
		Source:  history.Source{Name: rendered.Source, Digest: rendered.Digest, Description: "clone of " + plan.Location + " " + plan.Backup},
		History: o.historyOptions(applyOpts, o.ErrOut),
	})
	if err != nil {
		return err
	}
	report, err := status.Collect(ctx, o.clients, plan.Namespace, defaultLagWarning)
	if err != nil {
		return err
	}
	if err := o.print(o.Out, cloneOutput(res, report)); err != nil {
		return err
	}
	if !report.Healthy {
		return &ExitError{Code: ExitFailure}
	}
	return nil
}

func printClonePlan(w io.Writer, p *clone.Plan, objects int) error {
	from := "backup " + p.Backup + " (ended " + p.BackupFinished.Format(time.RFC3339) + ")"
	if p.ToTime != nil {
		from += ", rolled forward to " + p.ToTime.Format(time.RFC3339) + " from the archived binary logs"
	}
	_, err := fmt.Fprintf(w, "clone of the stack in namespace %s into namespace %s (server dry run: nothing was changed)\n"+
		"  1. download %s of %s: %s\n"+
		"  2. apply %s (%d objects), the web tier at 0 replicas, and wait for the database\n"+
		"  3. load the databases %s\n"+
		"  4. start the web tier, and print the new stack's status\n",
		p.Source, p.Namespace, from, p.Location, "databases "+strings.Join(p.Databases, ", "), p.Overlay, objects, strings.Join(p.Databases, ", "))
	return err
}

// cloneResult is what -o prints of a clone: the clone and the new stack's
// status.
type cloneResult struct {
	*clone.Result
	Status *status.Report `json:"status"`
}

func cloneOutput(res *clone.Result, report *status.Report) output {
	return output{kind: kindCloneResult, data: cloneResult{Result: res, Status: report}, table: func(w io.Writer, to table.Options) error {
		fmt.Fprintf(w, "cloned backup %s of %s into namespace %s: %d databases loaded", res.Backup, res.Location, res.Namespace, len(res.Restored.Databases))
		if res.Replayed != nil {
			fmt.Fprintf(w, ", %d transactions replayed up to %s", res.Replayed.Transactions, res.ToTime.Format(time.RFC3339))
		}
		fmt.Fprintf(w, "; web on NodePort %d\n\n", res.NodePort)
		return report.Print(w, to)
	}}
}
