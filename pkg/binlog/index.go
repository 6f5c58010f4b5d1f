package binlog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Archive is what a location holds of the binary logs: its chunks in
// order, grouped into stretches without a gap.
type Archive struct {
	Chunks   []Chunk   `json:"-"`
	Segments []Segment `json:"segments"`
}

// Segment is a stretch of the archive without a gap: every event from
// From to To is stored.
type Segment struct {
	From  Position  `json:"from"`
	To    Position  `json:"to"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// GTIDs span the segment's transactions on the HA tier, nil elsewhere.
	GTIDs *GTIDs `json:"gtids,omitempty"`
	// chunks index Archive.Chunks.
	chunks []int
}

// Read lists the archived chunks of a location.
func Read(ctx context.Context, loc location.Location) (*Archive, error) {
	objects, err := loc.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the archived binary logs: %w", err)
	}
	var chunks []Chunk
	for _, o := range objects {
		if !strings.HasPrefix(o.Key, Prefix) {
			continue
		}
		if c, ok := parseKey(o.Key); ok {
			chunks = append(chunks, c)
		}
	}
	return newArchive(chunks), nil
}

// newArchive orders the chunks, drops any a longer one starting at the
// same place covers (stored twice by two archivers), and finds the gaps.
func newArchive(chunks []Chunk) *Archive {
	sortChunks(chunks)
	a := &Archive{}
	for _, c := range chunks {
		if n := len(a.Chunks); n > 0 && a.Chunks[n-1].File == c.File && a.Chunks[n-1].Start == c.Start {
			if c.End > a.Chunks[n-1].End {
				a.Chunks[n-1] = c
			}
			continue
		}
		a.Chunks = append(a.Chunks, c)
	}
	for i, c := range a.Chunks {
		n := len(a.Segments)
		if n > 0 && follows(a.Chunks[i-1], c) {
			s := &a.Segments[n-1]
			s.To, s.Last, s.chunks = Position{c.File, c.End}, later(s.Last, c.Last), append(s.chunks, i)
			if s.GTIDs != nil && c.GTIDs != nil {
				s.GTIDs.To = max(s.GTIDs.To, c.GTIDs.To)
			}
			continue
		}
		s := Segment{From: Position{c.File, max(c.Start, 4)}, To: Position{c.File, c.End},
			First: c.First, Last: c.Last, chunks: []int{i}}
		if c.GTIDs != nil {
			g := *c.GTIDs
			s.GTIDs = &g
		}
		a.Segments = append(a.Segments, s)
	}
	return a
}

// follows says b continues a with no event missing between them.
func follows(a, b Chunk) bool {
	if a.File == b.File {
		return b.Start == a.End
	}
	return a.Closes && b.Start == 0 && next(a.File, b.File)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// newest is the last chunk stored, nil for an empty archive: the one
// reaching furthest in the cluster's GTIDs on the HA tier (its members'
// logs sort by name, not by time), else the last by name.
func (a *Archive) newest() *Chunk {
	at := a.newestAt()
	if at < 0 {
		return nil
	}
	c := a.Chunks[at]
	return &c
}

func (a *Archive) newestAt() int {
	at := len(a.Chunks) - 1
	for i, c := range a.Chunks {
		if c.GTIDs != nil && (a.Chunks[at].GTIDs == nil || c.GTIDs.To >= a.Chunks[at].GTIDs.To) {
			at = i
		}
	}
	return at
}

// lastOf is the chunk the archive holds a file up to, nil for none.
func (a *Archive) lastOf(file string) *Chunk {
	var last *Chunk
	for i, c := range a.Chunks {
		if c.File == file && (last == nil || c.End > last.End) {
			last = &a.Chunks[i]
		}
	}
	return last
}

// segmentAt is the segment holding every event from p on, or nil.
func (a *Archive) segmentAt(p Position) (int, *Segment) {
	for i := range a.Segments {
		s := &a.Segments[i]
		if !p.Before(s.From) && !s.To.Before(p) {
			return i, s
		}
	}
	return -1, nil
}

// Gap is a stretch the archive lacks.
type Gap struct {
	// After is the last archived event before it, Resume the first after.
	After      Position  `json:"after"`
	AfterTime  time.Time `json:"afterTime"`
	Resume     Position  `json:"resume"`
	ResumeTime time.Time `json:"resumeTime"`
}

func (g Gap) String() string {
	return fmt.Sprintf("from %s (%s) to %s (%s)", g.After, g.AfterTime.Format(time.RFC3339), g.Resume, g.ResumeTime.Format(time.RFC3339))
}

// gap is the gap between segment i and segment j, which resumes after it.
func (a *Archive) gap(i, j int) Gap {
	s, n := a.Segments[i], a.Segments[j]
	return Gap{After: s.To, AfterTime: s.Last, Resume: n.From, ResumeTime: n.First}
}

// Holds says every event up to p is archived.
func (a *Archive) Holds(p Position) bool {
	_, s := a.segmentAt(p)
	return s != nil
}
