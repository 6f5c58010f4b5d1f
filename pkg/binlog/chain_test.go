package binlog

import (
	"errors"
	"testing"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
)

// galeraChunk is a chunk of a member's log on the HA tier, with the
// cluster's GTIDs (domain 1) it spans.
func galeraChunk(file string, start, end uint32, first, last int, from, to uint64) Chunk {
	c := chunk(file, start, end, first, last, false)
	c.GTIDs = &GTIDs{Domain: 1, From: from, To: to}
	return c
}

// mysql-0 went away after transaction 100; the archiver took up mysql-1's
// log from its start (transaction 90 on): the replay goes on into it with
// no gap, and the archive's newest chunk is mysql-1's, though mysql-0's
// log sorts after it... by GTID, not name.
func TestPlanFollowsTheArchiveFromOneMemberToAnother(t *testing.T) {
	chunks := []Chunk{
		galeraChunk("mysql-0-bin.000003", 0, 1000, 0, 20, 50, 80),
		galeraChunk("mysql-0-bin.000003", 1000, 2000, 20, 30, 80, 100),
		galeraChunk("mysql-1-bin.000002", 0, 2500, 10, 40, 90, 130),
		galeraChunk("mysql-1-bin.000002", 2500, 3000, 40, 50, 130, 150),
	}
	a := newArchive(chunks)
	cat := &backup.Catalog{Backups: []backup.Entry{entry("a", 5, true, &Position{"mysql-0-bin.000003", 300})}}
	p, err := PlanRestore(a, cat, Target{Time: t0.Add(45 * time.Second)}, false)
	if err != nil || len(p.Crossed) != 0 || p.Beyond || len(p.chunks) != 4 || p.chunks[3].File != "mysql-1-bin.000002" {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if ws := Windows(a, cat); len(ws) != 1 || !ws[0].To.Equal(t0.Add(50*time.Second)) {
		t.Errorf("windows %+v: want one, to mysql-1's newest event", ws)
	}
	if c := a.newest(); c.File != "mysql-1-bin.000002" || c.End != 3000 {
		t.Errorf("newest chunk %+v, want mysql-1's last", c)
	}
	progress := NewProgress(nil)
	progress.loaded(a)
	if st := progress.Status(); st.Gap != "" {
		t.Errorf("a gap reported where the archive has none: %s", st.Gap)
	}

	// Had mysql-1's log begun after transaction 100 (purged before), the
	// transactions in between are in neither.
	chunks[2] = galeraChunk("mysql-1-bin.000002", 0, 2500, 10, 40, 120, 130)
	a = newArchive(chunks)
	if _, err := PlanRestore(a, cat, Target{Time: t0.Add(45 * time.Second)}, false); !errors.Is(err, ErrGap) {
		t.Fatalf("across the GTIDs 100 to 120: %v, want a gap", err)
	}
	progress = NewProgress(nil)
	progress.loaded(a)
	if st := progress.Status(); st.Gap == "" {
		t.Error("no gap reported for the GTIDs 100 to 120")
	}
}

// A backup dumped from mysql-1 starts a point-in-time restore when its
// coordinates name mysql-1's own logs, not under the name every member
// once shared.
func TestABackupFromAMemberNamingItsLogsIsUsable(t *testing.T) {
	own := fromMember(entry("a", 5, true, &Position{"mysql-1-bin.000002", 300}), "mysql-1")
	shared := fromMember(entry("b", 5, true, &Position{"mysql-bin.000002", 300}), "mysql-1")
	if !usable(&own) || usable(&shared) {
		t.Errorf("usable: %v for mysql-1-bin, %v for mysql-bin; want true, false", usable(&own), usable(&shared))
	}
}
