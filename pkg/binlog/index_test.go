package binlog

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func chunk(file string, start, end uint32, first, last int, closes bool) Chunk {
	return Chunk{File: file, Start: start, End: end, First: t0.Add(time.Duration(first) * time.Second),
		Last: t0.Add(time.Duration(last) * time.Second), Closes: closes}
}

func TestChunkKeyRoundTrip(t *testing.T) {
	withGTIDs := chunk("mysql-1-bin.000002", 0, 900, 40, 45, false)
	withGTIDs.GTIDs = &GTIDs{Domain: 1, From: 1200, To: 1234}
	for _, c := range []Chunk{chunk("mysql-bin.000003", 0, 1475, 0, 19, true), chunk("binlog.1000000", 601, 864, 30, 30, false), withGTIDs} {
		got, ok := parseKey(c.Key())
		if !ok || !reflect.DeepEqual(got, c) {
			t.Errorf("parseKey(%q) = %+v, %v; want %+v", c.Key(), got, ok, c)
		}
	}
	for _, key := range []string{"binlogs/x/0000000010-0000000005-1-2.part", "binlogs/x/0000000000-0000000005-1-2-g1-9-8.part", "binlogs/x/1-2-3-4.part", "20261126T000000.000Z/dump.sql.gz", "binlogs/x/0000000000-0000000005-1-2.tmp"} {
		if _, ok := parseKey(key); ok {
			t.Errorf("parseKey(%q) accepted", key)
		}
	}
}

func TestFilesOrderByTheirNumber(t *testing.T) {
	if !fileLess("mysql-bin.999999", "mysql-bin.1000000") || fileLess("mysql-bin.000010", "mysql-bin.000009") {
		t.Fatal("binary log files do not sort by number")
	}
	if !next("mysql-bin.000009", "mysql-bin.000010") || next("mysql-bin.000009", "mysql-bin.000011") || next("a.000001", "b.000002") {
		t.Fatal("next is wrong")
	}
}

// A stretch continues within a file at the byte it ended, and into the
// next file only after the one that closed; anything else is a gap.
func TestArchiveFindsGaps(t *testing.T) {
	a := newArchive([]Chunk{
		chunk("mysql-bin.000002", 0, 601, 20, 20, false), // out of order on purpose
		chunk("mysql-bin.000001", 0, 1475, 0, 19, true),
		chunk("mysql-bin.000002", 601, 864, 30, 31, true),
		chunk("mysql-bin.000003", 0, 500, 40, 41, false),
		chunk("mysql-bin.000003", 0, 400, 40, 40, false), // a shorter copy of the same start
		chunk("mysql-bin.000005", 0, 300, 90, 95, false), // 000003's end and 000004 are missing
	})
	if len(a.Chunks) != 5 || len(a.Segments) != 2 {
		t.Fatalf("%d chunks in %d segments, want 5 in 2: %+v", len(a.Chunks), len(a.Segments), a.Segments)
	}
	s := a.Segments[0]
	if s.From != (Position{"mysql-bin.000001", 4}) || s.To != (Position{"mysql-bin.000003", 500}) || !s.Last.Equal(t0.Add(41*time.Second)) {
		t.Errorf("first segment %+v", s)
	}
	g := a.gap(0, 1)
	if g.After != (Position{"mysql-bin.000003", 500}) || g.Resume != (Position{"mysql-bin.000005", 4}) {
		t.Errorf("gap %s", g)
	}
	if i, seg := a.segmentAt(Position{"mysql-bin.000002", 700}); i != 0 || seg == nil {
		t.Errorf("mysql-bin.000002:700 is in segment %d", i)
	}
	if _, seg := a.segmentAt(Position{"mysql-bin.000004", 4}); seg != nil {
		t.Errorf("mysql-bin.000004 is in the gap, found in %+v", seg)
	}
}

// Archiving resumes after the archive's last chunk: in the same file, in
// the next one after a closed file, or, when the server no longer holds
// what follows, from its oldest file with the gap named.
func TestStartAt(t *testing.T) {
	logs := []logFile{{"mysql-bin.000004", 900}, {"mysql-bin.000005", 300}}
	cases := []struct {
		name string
		last *Chunk
		want Position
		gap  string
	}{
		{"empty archive", nil, Position{"mysql-bin.000004", 0}, ""},
		{"mid-file", &Chunk{File: "mysql-bin.000004", End: 700}, Position{"mysql-bin.000004", 700}, ""},
		{"closed file", &Chunk{File: "mysql-bin.000004", End: 900, Closes: true}, Position{"mysql-bin.000005", 0}, ""},
		{"closed, next is oldest", &Chunk{File: "mysql-bin.000003", End: 900, Closes: true}, Position{"mysql-bin.000004", 0}, ""},
		{"purged", &Chunk{File: "mysql-bin.000002", End: 100}, Position{"mysql-bin.000004", 0}, "purged or expired"},
		{"purged closed", &Chunk{File: "mysql-bin.000002", End: 100, Closes: true}, Position{"mysql-bin.000004", 0}, "purged or expired"},
		{"reset", &Chunk{File: "mysql-bin.000005", End: 5000}, Position{"mysql-bin.000004", 0}, "were reset"},
	}
	for _, c := range cases {
		got, gap := startAt(c.last, logs)
		if got != c.want || (c.gap == "") != (gap == "") || !strings.Contains(gap, c.gap) {
			t.Errorf("%s: start %s, gap %q; want %s, %q", c.name, got, gap, c.want, c.gap)
		}
	}
}

func entry(id string, finished int, verified bool, at *Position) backup.Entry {
	e := backup.Entry{ID: id, Manifest: &backup.Manifest{ID: id, Finished: t0.Add(time.Duration(finished) * time.Second)}}
	if verified {
		e.Verdict = &backup.Verdict{Passed: true}
	}
	if at != nil {
		e.Manifest.Binlog = &backup.BinlogPosition{File: at.File, Pos: at.Pos}
	}
	return e
}

// fromMember marks a backup dumped from another member of the HA tier:
// its coordinates are in that member's binary logs, not the archive's.
func fromMember(e backup.Entry, pod string) backup.Entry {
	e.Manifest.Server.Pod = pod
	return e
}

func TestPlanPicksTheNewestVerifiedBackupAndRefusesGaps(t *testing.T) {
	a := newArchive([]Chunk{
		chunk("mysql-bin.000001", 0, 1475, 0, 19, true),
		chunk("mysql-bin.000002", 0, 864, 20, 31, true),
		chunk("mysql-bin.000003", 0, 500, 40, 41, false),
		chunk("mysql-bin.000005", 0, 300, 90, 95, false),
	})
	cat := &backup.Catalog{Backups: []backup.Entry{
		entry("a", 5, true, &Position{"mysql-bin.000001", 800}),
		entry("b", 25, true, &Position{"mysql-bin.000002", 300}),
		entry("c", 35, false, &Position{"mysql-bin.000002", 700}), // not verified
		entry("d", 36, true, nil),                                 // no coordinates
		fromMember(entry("e", 37, true, &Position{"mysql-bin.000003", 100}), "mysql-1"),
		{ID: "f"}, // incomplete: no manifest
	}}
	p, err := PlanRestore(a, cat, Target{Time: t0.Add(38 * time.Second)}, false)
	if err != nil || p.Backup.ID != "b" || len(p.chunks) != 2 || p.chunks[0].File != "mysql-bin.000002" || p.Beyond {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if ws := Windows(a, cat); len(ws) != 1 || ws[0].Backup != "a" || !ws[0].To.Equal(t0.Add(41*time.Second)) {
		t.Errorf("windows %+v", ws)
	}
	_, err = PlanRestore(a, cat, Target{Time: t0.Add(92 * time.Second)}, false)
	if !errors.Is(err, ErrGap) || !strings.Contains(err.Error(), "mysql-bin.000003:500") || !strings.Contains(err.Error(), "recoverable:") {
		t.Fatalf("across the gap: %v", err)
	}
	p, err = PlanRestore(a, cat, Target{Time: t0.Add(92 * time.Second)}, true)
	if err != nil || len(p.Crossed) != 1 || p.chunks[len(p.chunks)-1].File != "mysql-bin.000005" {
		t.Fatalf("--accept-gap: %+v, %v", p, err)
	}
	if p, err := PlanRestore(a, cat, Target{Time: t0.Add(200 * time.Second)}, true); err != nil || !p.Beyond {
		t.Fatalf("beyond the archive: %+v, %v", p, err)
	}
	if _, err := PlanRestore(a, cat, Target{Time: t0.Add(2 * time.Second)}, false); err == nil || !strings.Contains(err.Error(), "no verified backup") {
		t.Fatalf("before every backup: %v", err)
	}
	pos := Position{"mysql-bin.000002", 500}
	if p, err := PlanRestore(a, cat, Target{Position: &pos}, false); err != nil || p.Backup.ID != "b" {
		t.Fatalf("to a position: %+v, %v", p, err)
	}
}
