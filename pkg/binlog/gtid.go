package binlog

import (
	"bytes"
	"encoding/binary"

	"github.com/go-mysql-org/go-mysql/replication"
)

// sequence follows one GTID domain through a binary log: the sequence
// number of the last transaction of the domain completed. It reads the
// events' bytes, so it works on the archiver's raw stream as on a parsed
// file.
type sequence struct {
	domain uint32
	done   uint64
	// open is the sequence number of the transaction begun and not yet
	// completed, 0 for none; standalone says it ends with its statement.
	open       uint64
	standalone bool
}

// take follows one event; completed says it completed a transaction of
// the domain.
func (q *sequence) take(ev *replication.BinlogEvent) (completed bool) {
	body := eventBody(ev)
	switch ev.Header.EventType {
	case replication.MARIADB_GTID_EVENT:
		q.open, q.standalone = 0, false
		// sequence number (8), domain (4), flags (1)
		if len(body) >= 13 && binary.LittleEndian.Uint32(body[8:]) == q.domain {
			q.open = binary.LittleEndian.Uint64(body)
			q.standalone = body[12]&replication.BINLOG_MARIADB_FL_STANDALONE != 0
		}
	case replication.XID_EVENT:
		return q.complete()
	case replication.QUERY_EVENT:
		if q.standalone || endsTransaction(body) {
			return q.complete()
		}
	}
	return false
}

func (q *sequence) complete() bool {
	if q.open == 0 {
		return false
	}
	q.done, q.open = max(q.done, q.open), 0
	return true
}

// listed is the domain's sequence number in a GTID list event, the state
// a file starts from (0 when the list lacks the domain); isList is false
// for any other event.
func (q *sequence) listed(ev *replication.BinlogEvent) (seq uint64, isList bool) {
	body := eventBody(ev)
	if ev.Header.EventType != replication.MARIADB_GTID_LIST_EVENT || len(body) < 4 {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint32(body) & (1<<28 - 1))
	// each: domain (4), server id (4), sequence number (8)
	for i, at := 0, 4; i < n && at+16 <= len(body); i, at = i+1, at+16 {
		if binary.LittleEndian.Uint32(body[at:]) == q.domain {
			seq = max(seq, binary.LittleEndian.Uint64(body[at+8:]))
		}
	}
	return seq, true
}

func eventBody(ev *replication.BinlogEvent) []byte {
	if len(ev.RawData) < replication.EventHeaderSize {
		return nil
	}
	return ev.RawData[replication.EventHeaderSize:]
}

// endsTransaction says a query event's statement is COMMIT (a transaction
// of a non-transactional engine ends with it, not an XID).
func endsTransaction(body []byte) bool {
	// thread id (4), time (4), schema length (1), error code (2),
	// status variables' length (2), status variables, schema, NUL, query
	if len(body) < 13 {
		return false
	}
	at := 13 + int(binary.LittleEndian.Uint16(body[11:])) + int(body[8]) + 1
	return at <= len(body) && bytes.HasPrefix(body[at:], []byte("COMMIT"))
}

// The replay's side: seq may be nil (no GTIDs to follow), and then every
// method does nothing.

// before follows an event before the backup's coordinates: what the
// backup holds already, from the file's GTID list on.
func (q *sequence) before(ev *replication.BinlogEvent) {
	if q == nil {
		return
	}
	if seq, isList := q.listed(ev); isList {
		q.done = max(q.done, seq)
		return
	}
	q.take(ev)
}

// repeats follows an event of a transaction being replayed; it says the
// event opens a transaction of the domain replayed already.
func (q *sequence) repeats(ev *replication.BinlogEvent) bool {
	if q == nil {
		return false
	}
	q.take(ev)
	return ev.Header.EventType == replication.MARIADB_GTID_EVENT && q.open != 0 && q.open <= q.done
}
