package binlog

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// PrepareOptions say which point-in-time restore to prepare.
type PrepareOptions struct {
	Location  location.Location
	Target    Target
	AcceptGap bool
	// Dir is the local folder the backup and the binary logs are
	// downloaded to (the restore's safety folder).
	Dir      string
	Progress io.Writer
}

// Prepared is a point-in-time restore ready to run: its backup downloaded
// and verified, and the binary log events that bring it to the target.
type Prepared struct {
	Plan     *Plan
	Dump     *backup.Dump
	Replay   *backup.Replay
	Replayed *Replayed
	workDir  string
}

// PrepareRestore plans a point-in-time restore from the location's backups
// and archived binary logs, downloads the backup and the logs it needs and
// finds where the replay stops. The database is not touched; on an error
// nothing downloaded is left, else Discard removes it.
func PrepareRestore(ctx context.Context, o PrepareOptions) (*Prepared, error) {
	cat, err := backup.List(ctx, o.Location)
	if err != nil {
		return nil, err
	}
	arc, err := Read(ctx, o.Location)
	if err != nil {
		return nil, err
	}
	plan, err := PlanRestore(arc, cat, o.Target, o.AcceptGap)
	if err != nil {
		return nil, err
	}
	for _, g := range plan.Crossed {
		fmt.Fprintf(o.Progress, "warning: crossing the gap %s (--accept-gap): the events in it are lost\n", g)
	}
	fmt.Fprintf(o.Progress, "restoring to %s: backup %s (binary logs from %s), then the archived binary logs ...\n", o.Target, plan.Backup.ID, plan.From)
	p := &Prepared{Plan: plan}
	if err := p.download(ctx, o); err != nil {
		p.Discard()
		return nil, err
	}
	if plan.Beyond && o.Target.Position == nil {
		fmt.Fprintf(o.Progress, "note: the newest archived event is older than %s; the replay ends with it (is the archiver behind? see kubectl stack status)\n", o.Target)
	}
	return p, nil
}

// download fetches the binary logs, cuts them at the target, then fetches
// the backup: the cheaper checks first.
func (p *Prepared) download(ctx context.Context, o PrepareOptions) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("creating the safety folder: %w", err)
	}
	var err error
	if p.workDir, err = os.MkdirTemp(o.Dir, ".binlogs-"); err != nil {
		return fmt.Errorf("a folder for the binary logs: %w", err)
	}
	files, err := p.Plan.Fetch(ctx, o.Location, p.workDir)
	if err != nil {
		return fmt.Errorf("downloading the binary logs: %w; nothing was changed", err)
	}
	replayDir := filepath.Join(p.workDir, "replay")
	if err := os.Mkdir(replayDir, 0o700); err != nil {
		return fmt.Errorf("a folder for the binary logs: %w", err)
	}
	if p.Replay, p.Replayed, err = p.Plan.Analyze(files, replayDir); err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	p.Dump, err = backup.Fetch(ctx, o.Location, p.Plan.Backup, o.Dir)
	return err
}

// Discard removes what PrepareRestore downloaded.
func (p *Prepared) Discard() {
	if p.workDir != "" {
		_ = os.RemoveAll(p.workDir)
	}
	if p.Dump != nil {
		backup.Discard(p.Dump.Path)
	}
}
