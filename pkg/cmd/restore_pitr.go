package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
)

// pointInTime is the state of a point-in-time restore.
type pointInTime struct {
	goal     *binlog.Target
	replay   *backup.Replay
	replayed *binlog.Replayed
	// workDir holds the downloaded binary logs.
	workDir string
}

func (p *pointInTime) asked() bool { return p.goal != nil }

// pointInTimeResult is the output of a point-in-time restore.
type pointInTimeResult struct {
	*backup.RestoreResult
	Replayed *binlog.Replayed `json:"replayed"`
}

// completePointInTime reads --to-time or --to-position.
func (o *RestoreOptions) completePointInTime(named bool) error {
	switch {
	case o.ToTime == "" && o.ToPosition == "":
		if o.AcceptGap {
			return usageError(fmt.Errorf("--accept-gap goes with --to-time or --to-position"))
		}
		return nil
	case o.ToTime != "" && o.ToPosition != "":
		return usageError(fmt.Errorf("give --to-time or --to-position, not both"))
	case named:
		return usageError(fmt.Errorf("a point-in-time restore picks its backup: drop the ID %q, or drop --to-time/--to-position", o.Path))
	case o.ToTime != "":
		t, err := time.Parse(time.RFC3339, o.ToTime)
		if err != nil {
			return usageError(fmt.Errorf("--to-time %q is not an RFC 3339 time such as 2026-11-26T10:15:00Z", o.ToTime))
		}
		o.goal = &binlog.Target{Time: t.UTC()}
	default:
		p, err := binlog.ParsePosition(o.ToPosition)
		if err != nil {
			return usageError(fmt.Errorf("--to-position: %w", err))
		}
		o.goal = &binlog.Target{Position: &p}
	}
	return nil
}

// fetchPointInTime plans the restore, downloads its backup and binary
// logs, and finds where the replay stops.
func (o *RestoreOptions) fetchPointInTime(ctx context.Context) error {
	loc, cat, arc, err := o.From.archive(ctx)
	if err != nil {
		return err
	}
	plan, err := binlog.PlanRestore(arc, cat, *o.goal, o.AcceptGap)
	if err != nil {
		return err
	}
	for _, g := range plan.Crossed {
		fmt.Fprintf(o.ErrOut, "warning: crossing the gap %s (--accept-gap): the events in it are lost\n", g)
	}
	o.Path = plan.Backup.ID
	fmt.Fprintf(o.ErrOut, "restoring to %s: backup %s (binary logs from %s), then the archived binary logs ...\n", o.goal, plan.Backup.ID, plan.From)
	if err := os.MkdirAll(o.SafetyDir, 0o700); err != nil {
		return fmt.Errorf("creating the safety folder: %w", err)
	}
	if o.workDir, err = os.MkdirTemp(o.SafetyDir, ".binlogs-"); err != nil {
		return fmt.Errorf("a folder for the binary logs: %w", err)
	}
	files, err := plan.Fetch(ctx, loc, o.workDir)
	if err != nil {
		return fmt.Errorf("downloading the binary logs: %w; nothing was changed", err)
	}
	replayDir := filepath.Join(o.workDir, "replay")
	if err := os.Mkdir(replayDir, 0o700); err != nil {
		return fmt.Errorf("a folder for the binary logs: %w", err)
	}
	if o.replay, o.replayed, err = plan.Analyze(files, replayDir); err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if plan.Beyond && o.goal.Position == nil {
		fmt.Fprintf(o.ErrOut, "note: the newest archived event is older than %s; the replay ends with it (is the archiver behind? see kubectl stack status)\n", o.goal)
	}
	dump, err := backup.Fetch(ctx, loc, plan.Backup, o.SafetyDir)
	if err != nil {
		return err
	}
	o.dump = backup.Verified(dump)
	return nil
}

// reportReplay says what the replay applied, or would.
func (o *RestoreOptions) reportReplay(dryRun bool) {
	r := o.replayed
	if r == nil {
		return
	}
	verb := "replayed"
	if dryRun {
		verb = "would replay"
	}
	last := "none"
	if !r.LastCommit.IsZero() {
		last = r.LastCommit.Format(time.RFC3339)
	}
	fmt.Fprintf(o.ErrOut, "%s %d transactions (%d row changes) from %s to %s; last commit %s; %d transactions on other databases or accounts left out\n", verb, r.Transactions, r.Rows, r.From, r.To, last, r.Skipped)
}

func (o *RestoreOptions) discard() {
	if o.workDir != "" {
		_ = os.RemoveAll(o.workDir)
	}
}
