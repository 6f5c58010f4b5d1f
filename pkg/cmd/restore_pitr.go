package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// pointInTime is the state of a point-in-time restore.
type pointInTime struct {
	goal     *binlog.Target
	prepared *binlog.Prepared
}

func (p *pointInTime) asked() bool { return p.goal != nil }

// replay is what the restore applies after the backup: nothing unless a
// point in time was asked for.
func (p *pointInTime) replay() *backup.Replay {
	if p.prepared == nil {
		return nil
	}
	return p.prepared.Replay
}

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
			return fmt.Errorf("--accept-gap goes with --to-time or --to-position")
		}
		return nil
	case o.ToTime != "" && o.ToPosition != "":
		return fmt.Errorf("give --to-time or --to-position, not both")
	case named:
		return fmt.Errorf("a point-in-time restore picks its backup: drop the ID %q, or drop --to-time/--to-position", o.Path)
	case o.ToTime != "":
		t, err := parseToTime(o.ToTime)
		if err != nil {
			return err
		}
		o.goal = t
	default:
		p, err := binlog.ParsePosition(o.ToPosition)
		if err != nil {
			return fmt.Errorf("--to-position: %w", err)
		}
		o.goal = &binlog.Target{Position: &p}
	}
	return nil
}

// parseToTime reads --to-time.
func parseToTime(value string) (*binlog.Target, error) {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return nil, fmt.Errorf("--to-time %q is not an RFC 3339 time such as 2026-11-26T10:15:00Z", value)
	}
	return &binlog.Target{Time: t.UTC()}, nil
}

// preparePointInTime downloads the backup and the binary logs the
// restore needs (binlog.PrepareRestore).
func (o *RestoreOptions) preparePointInTime(ctx context.Context) error {
	p, err := binlog.PrepareRestore(ctx, binlog.PrepareOptions{
		Location: o.From.loc, Target: *o.goal, AcceptGap: o.AcceptGap, Dir: o.SafetyDir, Progress: o.ErrOut,
	})
	if err != nil {
		return err
	}
	o.prepared, o.Path, o.dump = p, p.Plan.Backup.ID, backup.Verified(p.Dump)
	return nil
}

// output is the restore's result: the databases' counts, and for a point
// in time what the replay applied (said on stderr too).
func (o *RestoreOptions) output(res *backup.RestoreResult) output {
	data := any(res)
	if o.prepared != nil {
		o.reportReplay(o.prepared.Replayed, res.DryRun)
		data = pointInTimeResult{RestoreResult: res, Replayed: o.prepared.Replayed}
	}
	return output{kind: kindRestoreResult, data: data, table: func(w io.Writer, to table.Options) error {
		return printRestore(w, res, to)
	}}
}

// reportReplay says what the replay applied, or would.
func (o *RestoreOptions) reportReplay(r *binlog.Replayed, dryRun bool) {
	verb := "replayed"
	if dryRun {
		verb = "would replay"
	}
	last := "none"
	if !r.LastCommit.IsZero() {
		last = r.LastCommit.Format(time.RFC3339)
	}
	fmt.Fprintf(o.ErrOut, "%s %d transactions (%d row changes) from %s to %s; last commit %s; %d transactions on other databases or accounts left out\n", verb, r.Transactions, r.Rows, r.From, r.To, last, r.Skipped)
	if r.Repeated > 0 {
		fmt.Fprintf(o.ErrOut, "%d transactions the archive holds twice (from two members, where the archiver took up another) left out: the backup or the first copy has them\n", r.Repeated)
	}
}
