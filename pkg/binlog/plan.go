package binlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Target is where a point-in-time restore stops: after the last
// transaction committed at or before Time, or ending at or before
// Position.
type Target struct {
	Time     time.Time
	Position *Position
}

func (t Target) String() string {
	if t.Position != nil {
		return t.Position.String()
	}
	return t.Time.Format(time.RFC3339)
}

// Plan is a point-in-time restore: a backup, and the archived chunks that
// bring it forward to the target.
type Plan struct {
	Backup *backup.Entry
	From   Position
	Target Target
	chunks []Chunk
	// Crossed are the gaps the replay crosses (with AcceptGap).
	Crossed []Gap
	// Beyond says the target is later than the newest archived event.
	Beyond  bool
	Windows []Window
}

// ErrGap is a restore that would cross a gap in the archive.
var ErrGap = errors.New("the archive has a gap")

// PlanRestore picks the newest usable backup before the target and the
// chunks from its coordinates on. It refuses to cross a gap unless
// acceptGap.
func PlanRestore(a *Archive, cat *backup.Catalog, t Target, acceptGap bool) (*Plan, error) {
	p := &Plan{Target: t, Windows: Windows(a, cat)}
	for i := range cat.Backups {
		e := &cat.Backups[i]
		if usable(e) && p.before(e) {
			p.Backup = e
		}
	}
	if p.Backup == nil {
		return nil, fmt.Errorf("no verified backup with binary log coordinates ends before %s; %s", t, describe(p.Windows))
	}
	p.From = coordinates(p.Backup)
	at, seg := a.segmentAt(p.From)
	if seg == nil {
		return nil, fmt.Errorf("the archive lacks the binary logs from %s, where backup %s stands; %s", p.From, p.Backup.ID, describe(p.Windows))
	}
	for first := true; ; first = false {
		seg = &a.Segments[at]
		for _, i := range seg.chunks {
			// The backup's file from its start: the replay needs its header.
			if c := a.Chunks[i]; !first || !fileLess(c.File, p.From.File) {
				p.chunks = append(p.chunks, c)
			}
		}
		if p.reached(seg) {
			return p, nil
		}
		next, linked := a.after(at)
		if next < 0 {
			p.Beyond = true
			return p, nil
		}
		if !linked {
			g := a.gap(at, next)
			if !acceptGap {
				return nil, fmt.Errorf("%w %s between backup %s and %s: the events in it are lost; %s; --accept-gap replays across it", ErrGap, g, p.Backup.ID, t, describe(p.Windows))
			}
			p.Crossed = append(p.Crossed, g)
		}
		at = next
	}
}

// before says the backup ended before the target.
func (p *Plan) before(e *backup.Entry) bool {
	if p.Target.Position != nil {
		return !p.Target.Position.Before(coordinates(e))
	}
	return !e.Manifest.Finished.After(p.Target.Time)
}

// reached says the segment holds the target.
func (p *Plan) reached(s *Segment) bool {
	if p.Target.Position != nil {
		return !s.To.Before(*p.Target.Position)
	}
	return !s.Last.Before(p.Target.Time)
}

// Fetch downloads the plan's chunks into dir, one file per binary log,
// and returns the files in order.
func (p *Plan) Fetch(ctx context.Context, loc location.Location, dir string) ([]string, error) {
	var files []string
	var f *os.File
	var want uint32
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for _, c := range p.chunks {
		if f == nil || filepath.Base(f.Name()) != c.File {
			if f != nil {
				if err := f.Close(); err != nil {
					return nil, err
				}
			}
			if c.Start != 0 {
				return nil, fmt.Errorf("the archive holds %s only from offset %d: its start was never archived", c.File, c.Start)
			}
			var err error
			if f, err = os.OpenFile(filepath.Join(dir, c.File), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err != nil {
				return nil, err
			}
			files, want = append(files, f.Name()), 0
		}
		if c.Start != want {
			return nil, fmt.Errorf("the archive misses %s bytes %d-%d", c.File, want, c.Start)
		}
		if err := copyChunk(ctx, loc, c, f); err != nil {
			return nil, err
		}
		want = c.End
	}
	if f != nil {
		err := f.Close()
		f = nil
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

func copyChunk(ctx context.Context, loc location.Location, c Chunk, w io.Writer) error {
	r, err := loc.Get(ctx, c.Key())
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.Key(), err)
	}
	defer r.Close()
	n, err := io.Copy(w, r)
	if err == nil && n != int64(c.End-c.Start) {
		err = fmt.Errorf("it holds %d bytes, its name says %d: the archive is damaged", n, c.End-c.Start)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.Key(), err)
	}
	return nil
}
