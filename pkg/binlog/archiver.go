package binlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// heartbeat is how often the server says it has nothing new; the archive
// is then known to be complete up to that moment.
const heartbeat = 5 * time.Second

// maxChunk bounds a chunk held in memory before it is stored.
const maxChunk = 8 << 20

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// Archiver copies the server's binary logs into a location as they are
// written, in chunks of at most Interval's worth, and resumes where the
// location's newest chunk ends.
type Archiver struct {
	Location location.Location
	// Servers are the database, or the members of the HA tier in the
	// order the archiver prefers them: it follows one and, when that one
	// does not answer, the next.
	Servers  []Server
	Interval time.Duration
	// Log gets a line per chunk stored, break and gap.
	Log io.Writer
	// Progress is what the metrics and the status report.
	Progress *Progress
}

// stream is the archiver's place in the server's binary logs.
type stream struct {
	file string
	pos  uint32
	// buf holds the events received and not yet stored, from chunk.Start.
	buf   bytes.Buffer
	chunk Chunk
	// received is when the newest event in buf arrived, held when the
	// oldest did: the chunk is stored Interval after that, however
	// steadily events keep coming.
	received, held time.Time
	// stored is the newest chunk in the location: where to resume.
	stored *Chunk
	// member indexes the server followed.
	member int
	// seq follows the cluster's GTIDs on the HA tier, nil elsewhere; from
	// is where the chunk begins in it.
	seq  *sequence
	from uint64
}

// Run archives until ctx ends, reconnecting after every break; it returns
// only ctx's error or a failure to read the location at the start.
func (a *Archiver) Run(ctx context.Context) error {
	arc, err := Read(ctx, a.Location)
	if err != nil {
		return err
	}
	a.Progress.loaded(arc)
	s := &stream{stored: arc.newest()}
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		streamed, err := a.session(ctx, s)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if streamed {
			wait = time.Second
		}
		a.logf("the binary log stream broke (%v); reconnecting in %s", err, wait)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// session connects, finds where to start, and streams until the
// connection breaks or ctx ends, storing what it received before it
// returns; streamed says events or heartbeats came.
func (a *Archiver) session(ctx context.Context, s *stream) (streamed bool, err error) {
	server, sl, err := a.reach(ctx, s)
	if err != nil {
		return false, err
	}
	start, gap, err := a.resume(ctx, server, sl, s)
	if err != nil {
		return false, err
	}
	if gap != "" {
		a.logf("gap: %s; archiving again from %s", gap, start)
		a.Progress.gapFound(gap, start)
	}
	syncer, err := server.syncer(sl.flavor)
	if err != nil {
		return false, err
	}
	defer syncer.Close()
	st, err := syncer.StartSync(mysql.Position{Name: start.File, Pos: max(start.Pos, 4)})
	if err != nil {
		return false, fmt.Errorf("starting the binary log stream at %s: %w", start, err)
	}
	s.begin(start.File, start.Pos)
	a.logf("archiving %s's %s binary logs from %s into %s", server.Address, sl.flavor, start, a.Location)
	for ; ; streamed = true {
		wait := a.Interval
		if !s.received.IsZero() {
			wait = time.Until(s.held.Add(a.Interval))
		}
		evCtx, cancel := context.WithTimeout(ctx, max(wait, 10*time.Millisecond))
		ev, err := st.GetEvent(evCtx)
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			if err := a.flush(ctx, s, false); err != nil {
				return streamed, err
			}
			continue
		case err != nil:
			if ferr := a.flush(context.WithoutCancel(ctx), s, false); ferr != nil {
				a.logf("%v", ferr)
			}
			return streamed, err
		}
		if err := a.take(ctx, s, ev); err != nil {
			return streamed, err
		}
	}
}

// take adds one event to the stream, storing the chunk when it closes a
// file or grew large.
func (a *Archiver) take(ctx context.Context, s *stream, ev *replication.BinlogEvent) error {
	h := ev.Header
	switch {
	case h.EventType == replication.HEARTBEAT_EVENT || h.EventType == replication.HEARTBEAT_LOG_EVENT_V2:
		a.Progress.contact(s.received.IsZero())
		return nil
	case h.LogPos == 0:
		// The server's own notes at the stream's start (which file, its
		// format): not part of the file.
		if r, ok := ev.Event.(*replication.RotateEvent); ok && string(r.NextLogName) != s.file {
			s.begin(string(r.NextLogName), uint32(r.Position))
		}
		return nil
	}
	start := h.LogPos - h.EventSize
	if start < s.pos {
		return nil // sent again after a reconnect: stored already
	}
	if start > s.pos {
		return fmt.Errorf("the server sent %s from offset %d, the archive ends at %d", s.file, start, s.pos)
	}
	s.add(ev.RawData, h.LogPos, time.Unix(int64(h.Timestamp), 0).UTC())
	s.follow(ev)
	switch h.EventType {
	case replication.ROTATE_EVENT, replication.STOP_EVENT:
		if h.EventType == replication.STOP_EVENT {
			a.logf("the server stopped at %s:%d (a restart): its next file continues the archive", s.file, h.LogPos)
			a.Progress.restarted()
		}
		if err := a.flush(ctx, s, true); err != nil {
			return err
		}
		if r, ok := ev.Event.(*replication.RotateEvent); ok {
			s.begin(string(r.NextLogName), 0)
		}
	default:
		if s.buf.Len() >= maxChunk {
			return a.flush(ctx, s, false)
		}
	}
	return nil
}

// begin starts a new chunk at the file's offset; a file's first chunk
// begins with its magic number.
func (s *stream) begin(file string, pos uint32) {
	s.file, s.buf, s.received = file, bytes.Buffer{}, time.Time{}
	if pos <= 4 {
		pos = 0
	}
	s.pos = max(pos, 4)
	s.chunk = Chunk{File: file, Start: pos}
	if pos == 0 {
		s.buf.Write(replication.BinLogFileHeader)
	}
	if s.seq != nil {
		s.from = s.seq.done
	}
}

// follow keeps the stream's place in the cluster's GTIDs: a file begins
// where its GTID list says, which on another member's file may be before
// the archive's end.
func (s *stream) follow(ev *replication.BinlogEvent) {
	if s.seq == nil {
		return
	}
	if seq, isList := s.seq.listed(ev); isList {
		if s.chunk.Start == 0 {
			s.seq.done, s.from = seq, seq
		}
		return
	}
	s.seq.take(ev)
}

func (s *stream) add(raw []byte, end uint32, at time.Time) {
	if s.received.IsZero() || s.chunk.First.IsZero() {
		s.chunk.First = at
	}
	if s.received.IsZero() {
		s.held = time.Now()
	}
	s.buf.Write(raw)
	s.pos, s.chunk.Last, s.received = end, at, time.Now()
}

// flush stores the events received since the last chunk, if any, and
// starts the next chunk where it ended.
func (a *Archiver) flush(ctx context.Context, s *stream, closes bool) error {
	if s.received.IsZero() {
		return nil
	}
	c := s.chunk
	c.End, c.Closes = s.pos, closes
	if s.seq != nil {
		c.GTIDs = &GTIDs{Domain: s.seq.domain, From: s.from, To: s.seq.done}
	}
	received := s.received
	if _, err := a.Location.Put(ctx, c.Key(), bytes.NewReader(s.buf.Bytes())); err != nil {
		return fmt.Errorf("storing %s: %w", c.Key(), err)
	}
	a.logf("stored %s bytes %d-%d (%s to %s)", c.File, c.Start, c.End, c.First.Format(time.RFC3339), c.Last.Format(time.RFC3339))
	a.Progress.stored(c, received)
	s.stored = &c
	s.buf.Reset()
	s.received = time.Time{}
	s.chunk = Chunk{File: c.File, Start: c.End, Closes: closes}
	if s.seq != nil {
		s.from = s.seq.done
	}
	return nil
}

func (a *Archiver) logf(format string, args ...any) {
	fmt.Fprintf(a.Log, time.Now().UTC().Format(time.RFC3339)+" "+format+"\n", args...)
}

// startAt is where archiving resumes after the chunk the archive ends
// with, on a server holding logs; gap says why, when it cannot resume
// exactly there.
func startAt(last *Chunk, logs []logFile) (Position, string) {
	oldest := Position{File: logs[0].Name}
	if last == nil {
		return oldest, ""
	}
	for i, l := range logs {
		switch {
		case l.Name == last.File && last.Closes && i+1 < len(logs):
			return Position{File: logs[i+1].Name}, ""
		case l.Name == last.File && last.Closes:
			return Position{File: l.Name, Pos: last.End}, ""
		case l.Name == last.File && l.Size >= uint64(last.End):
			return Position{File: l.Name, Pos: last.End}, ""
		case l.Name == last.File:
			return oldest, fmt.Sprintf("the server's %s is shorter (%d bytes) than archived (%d): its binary logs were reset", l.Name, l.Size, last.End)
		case last.Closes && next(last.File, l.Name):
			return Position{File: l.Name}, ""
		}
	}
	return oldest, fmt.Sprintf("the server no longer holds %s (archived up to offset %d): it was purged or expired before it was archived; the oldest it holds is %s", last.File, last.End, logs[0].Name)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
