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
			continue
		}
		a.Segments = append(a.Segments, Segment{From: Position{c.File, max(c.Start, 4)}, To: Position{c.File, c.End},
			First: c.First, Last: c.Last, chunks: []int{i}})
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

// newest is the last chunk stored, nil for an empty archive.
func (a *Archive) newest() *Chunk {
	if len(a.Chunks) == 0 {
		return nil
	}
	c := a.Chunks[len(a.Chunks)-1]
	return &c
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

// gapAfter is the gap between segment i and the next.
func (a *Archive) gapAfter(i int) Gap {
	s, n := a.Segments[i], a.Segments[i+1]
	return Gap{After: s.To, AfterTime: s.Last, Resume: n.From, ResumeTime: n.First}
}

// Holds says every event up to p is archived.
func (a *Archive) Holds(p Position) bool {
	_, s := a.segmentAt(p)
	return s != nil
}
