package binlog

import (
	"path/filepath"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
)

// The archiver reads raw events: the sequence it follows from their bytes
// ends at the GTID the parser decodes last, and each transaction
// completes once.
func TestSequenceFollowsRawEvents(t *testing.T) {
	src := filepath.Join("testdata", "mysql-bin.000001")
	var last uint64
	var transactions int
	err := replication.NewBinlogParser().ParseFile(src, 4, func(ev *replication.BinlogEvent) error {
		if g, ok := ev.Event.(*replication.MariadbGTIDEvent); ok && g.GTID.DomainID == 0 {
			last = g.GTID.SequenceNumber
			transactions++
		}
		return nil
	})
	if err != nil || transactions == 0 {
		t.Fatalf("the test's log: %d GTIDs, %v", transactions, err)
	}
	raw := replication.NewBinlogParser()
	raw.SetRawMode(true)
	q, other := &sequence{domain: 0}, &sequence{domain: 1}
	var completed, lists int
	err = raw.ParseFile(src, 4, func(ev *replication.BinlogEvent) error {
		if _, isList := q.listed(ev); isList {
			lists++
		}
		if q.take(ev) {
			completed++
		}
		other.take(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if q.done != last || completed != transactions || lists != 1 || q.open != 0 {
		t.Errorf("followed to %d (%d completed, %d GTID lists, %d open); want %d, %d, 1, 0", q.done, completed, lists, q.open, last, transactions)
	}
	if other.done != 0 {
		t.Errorf("domain 1 followed to %d in a log of domain 0", other.done)
	}
}
