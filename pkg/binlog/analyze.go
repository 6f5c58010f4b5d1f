package binlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
)

// Replayed is what a replay applies: the transactions that change the
// restored databases, from a backup's coordinates up to the target.
type Replayed struct {
	From         Position  `json:"from"`
	To           Position  `json:"to"`
	Transactions int       `json:"transactions"`
	Rows         int64     `json:"rows"`
	LastCommit   time.Time `json:"lastCommit,omitempty"`
	// Skipped counts the transactions that change only what the restore
	// does not put back (other databases, accounts).
	Skipped int `json:"skipped"`
	// Repeated counts the transactions the archive holds twice, from two
	// members of the HA tier, and the replay applies once.
	Repeated int      `json:"repeated,omitempty"`
	Files    []string `json:"files"`
}

// errStop ends a parse at the target.
var errStop = errors.New("target reached")

// span is a byte range of a binary log file.
type span struct{ start, end int64 }

// transaction is one being read: its events to replay and what they
// touch. The row changes of a table outside the restored databases are
// left out of it, as a replica's replicate-do-db leaves them out.
type transaction struct {
	spans   []span
	verdict verdict
	rows    int64
	// repeated says its GTID was replayed already, from another member.
	repeated bool
	// outside are the tables (by the id their table map gives) whose
	// row changes are left out.
	outside map[uint64]bool
}

// add takes one event into the transaction.
func (tx *transaction) add(ev *replication.BinlogEvent, at span, in *scope) {
	v := in.judge(ev)
	tx.verdict = max(tx.verdict, v)
	switch e := ev.Event.(type) {
	case *replication.TableMapEvent:
		if v == outOfScope {
			tx.outside[e.TableID] = true
			return
		}
	case *replication.RowsEvent:
		if tx.outside[e.TableID] {
			return
		}
		tx.rows += rowChanges(ev)
	}
	if n := len(tx.spans); n > 0 && tx.spans[n-1].end == at.start {
		tx.spans[n-1].end = at.end
		return
	}
	tx.spans = append(tx.spans, at)
}

// Analyze reads the downloaded files from the plan's coordinates, finds
// the end of the last transaction at or before the target, and writes
// into dir the files the replay applies: each file's format description
// and the transactions that change the databases the backup holds, less
// their row changes elsewhere. The replay stops at a transaction's end,
// so one is applied whole or not at all.
func (p *Plan) Analyze(files []string, dir string) (*backup.Replay, *Replayed, error) {
	r := &Replayed{From: p.From, To: p.From}
	in := newScope(p.Backup.Manifest.DatabaseNames())
	replay := &backup.Replay{}
	seq := p.sequence()
	for i, path := range files {
		offset := int64(4)
		if i == 0 {
			offset = int64(p.From.Pos)
		}
		kept, reached, err := p.read(path, offset, in, r, seq)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the archived %s: %w", filepath.Base(path), err)
		}
		r.Files = append(r.Files, filepath.Base(path))
		if len(kept) > 1 {
			out := filepath.Join(dir, filepath.Base(path))
			if err := writeSpans(path, out, kept); err != nil {
				return nil, nil, fmt.Errorf("writing the binary log to replay: %w", err)
			}
			replay.Files = append(replay.Files, out)
		}
		if reached {
			break
		}
	}
	return replay, r, nil
}

// sequence follows the cluster's GTIDs through a replay of the HA tier's
// archive, which may hold a transaction twice (from two members); nil
// elsewhere.
func (p *Plan) sequence() *sequence {
	for _, c := range p.chunks {
		if c.GTIDs != nil {
			return &sequence{domain: c.GTIDs.Domain}
		}
	}
	return nil
}

// read parses one file from offset, adding the transactions up to the
// target to r; kept are the spans to replay, the format description
// first. seq, when set, skips the transactions replayed already; before
// offset it learns what the backup holds.
func (p *Plan) read(path string, offset int64, in *scope, r *Replayed, seq *sequence) (kept []span, reached bool, err error) {
	name := filepath.Base(path)
	var tx *transaction
	err = replication.NewBinlogParser().ParseFile(path, 4, func(ev *replication.BinlogEvent) error {
		h := ev.Header
		at := span{int64(h.LogPos - h.EventSize), int64(h.LogPos)}
		switch {
		case h.EventType == replication.FORMAT_DESCRIPTION_EVENT:
			kept = append(kept, at)
			return nil
		case at.start < offset:
			seq.before(ev)
			return nil
		case tx == nil && !opensTransaction(h.EventType):
			return nil
		case tx == nil:
			tx = &transaction{outside: map[uint64]bool{}}
		}
		tx.add(ev, at, in)
		if seq.repeats(ev) {
			tx.repeated = true
		}
		if !transactionEnd(ev) {
			return nil
		}
		commit, end := time.Unix(int64(h.Timestamp), 0).UTC(), Position{File: name, Pos: h.LogPos}
		if p.Target.Position != nil && p.Target.Position.Before(end) || p.Target.Position == nil && commit.After(p.Target.Time) {
			reached = true
			return errStop
		}
		r.To = end
		switch {
		case tx.repeated:
			r.Repeated++
		case tx.verdict == inScope:
			kept = append(kept, tx.spans...)
			r.LastCommit, r.Rows = commit, r.Rows+tx.rows
			r.Transactions++
		default:
			r.Skipped++
		}
		tx = nil
		return nil
	})
	if reached {
		err = nil
	}
	return kept, reached, err
}

// writeSpans copies the spans of src into a new binary log file dst.
func writeSpans(src, dst string, spans []span) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = out.Write(replication.BinLogFileHeader)
	for _, s := range spans {
		if err != nil {
			break
		}
		_, err = io.Copy(out, io.NewSectionReader(in, s.start, s.end-s.start))
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// transactionEnd says the event ends a transaction: a commit (XID), or a
// statement outside BEGIN ... COMMIT (DDL, and COMMIT itself).
func transactionEnd(ev *replication.BinlogEvent) bool {
	switch e := ev.Event.(type) {
	case *replication.XIDEvent:
		return true
	case *replication.QueryEvent:
		return string(e.Query) != "BEGIN"
	}
	return false
}

// rowChanges counts the rows a rows event changes; an update carries each
// row before and after.
func rowChanges(ev *replication.BinlogEvent) int64 {
	e, ok := ev.Event.(*replication.RowsEvent)
	if !ok {
		return 0
	}
	switch ev.Header.EventType {
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		return int64(len(e.Rows) / 2)
	}
	return int64(len(e.Rows))
}
