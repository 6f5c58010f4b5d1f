package binlog

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
)

// A replay of a backup of stack and shop applies what changed them and
// leaves out the other databases and the accounts (testdata/README.md).
func TestAnalyzeKeepsTheRestoredDatabases(t *testing.T) {
	src := filepath.Join("testdata", "mysql-bin.000001")
	end := Position{File: "mysql-bin.000001", Pos: 3198}
	p := &Plan{
		Backup: &backup.Entry{Manifest: &backup.Manifest{Databases: []backup.Database{{Name: "stack"}, {Name: "shop"}}}},
		From:   Position{File: "mysql-bin.000001", Pos: 850},
		Target: Target{Position: &end},
	}
	replay, r, err := p.Analyze([]string{src}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.Transactions != 6 || r.Skipped != 7 || r.Rows != 3 || r.To != end {
		t.Errorf("replayed %d transactions (%d rows) up to %s, left out %d; want 6 (3 rows: the mixed one's insert into other.o left out) up to %s, 7 left out", r.Transactions, r.Rows, r.To, r.Skipped, end)
	}
	want := []string{"CREATE TABLE stack.fromother (id int)", "DROP DATABASE IF EXISTS shop", "CREATE DATABASE shop"}
	if got := statements(t, replay.Files); !slices.Equal(got, want) {
		t.Errorf("the replay's statements are %q, want %q", got, want)
	}
}

// A position target stops after the last transaction ending at or before
// it, leaving out what follows.
func TestAnalyzeStopsAtTheTarget(t *testing.T) {
	src := filepath.Join("testdata", "mysql-bin.000001")
	// The first transaction (the insert of row 2) ends at 1070.
	stop := Position{File: "mysql-bin.000001", Pos: 1070}
	p := &Plan{
		Backup: &backup.Entry{Manifest: &backup.Manifest{Databases: []backup.Database{{Name: "stack"}}}},
		From:   Position{File: "mysql-bin.000001", Pos: 850},
		Target: Target{Position: &stop},
	}
	_, r, err := p.Analyze([]string{src}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.Transactions != 1 || r.Rows != 1 || r.Skipped != 0 || stop.Before(r.To) {
		t.Errorf("replayed %d transactions (%d rows) up to %s, left out %d; want the first insert alone", r.Transactions, r.Rows, r.To, r.Skipped)
	}
}

// statements are the statements other than BEGIN/COMMIT in the files.
func statements(t *testing.T, files []string) []string {
	t.Helper()
	var got []string
	for _, f := range files {
		err := replication.NewBinlogParser().ParseFile(f, 4, func(ev *replication.BinlogEvent) error {
			if q, ok := ev.Event.(*replication.QueryEvent); ok && string(q.Query) != "BEGIN" && string(q.Query) != "COMMIT" {
				got = append(got, string(q.Query))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("the replay's %s does not parse: %v", f, err)
		}
	}
	return got
}

// A backup that holds no database replays nothing: no statement is taken
// for naming one.
func TestAnalyzeWithoutDatabases(t *testing.T) {
	end := Position{File: "mysql-bin.000001", Pos: 3198}
	p := &Plan{
		Backup: &backup.Entry{Manifest: &backup.Manifest{}},
		From:   Position{File: "mysql-bin.000001", Pos: 850},
		Target: Target{Position: &end},
	}
	replay, r, err := p.Analyze([]string{filepath.Join("testdata", "mysql-bin.000001")}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.Transactions != 0 || r.Skipped != 13 || len(replay.Files) != 0 {
		t.Errorf("replayed %d transactions in %d files, left out %d; want none, 13 left out", r.Transactions, len(replay.Files), r.Skipped)
	}
}

// On the HA tier the archive may hold the same transactions twice: the
// end of one member's log and the start of the next member's, where the
// archiver took up. The replay applies each GTID once: here the same log
// archived from two members replays as the one did.
func TestAnalyzeReplaysEachGTIDOnce(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "mysql-bin.000001"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first, second := filepath.Join(dir, "mysql-0-bin.000001"), filepath.Join(dir, "mysql-1-bin.000001")
	for _, f := range []string{first, second} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The test's log has GTIDs of domain 0 (a MariaDB outside a cluster).
	p := &Plan{
		Backup: &backup.Entry{Manifest: &backup.Manifest{Databases: []backup.Database{{Name: "stack"}, {Name: "shop"}}}},
		From:   Position{File: "mysql-0-bin.000001", Pos: 850},
		Target: Target{Time: time.Now()},
		chunks: []Chunk{galeraChunk("mysql-0-bin.000001", 0, uint32(len(data)), 0, 1, 0, 20)},
	}
	p.chunks[0].GTIDs.Domain = 0
	replay, r, err := p.Analyze([]string{first, second}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.Transactions != 6 || r.Skipped != 7 || r.Repeated < 13 {
		t.Errorf("replayed %d transactions, left out %d, %d repeated; want 6, 7 and every one of the second copy (13 and those before the backup)", r.Transactions, r.Skipped, r.Repeated)
	}
	want := []string{"CREATE TABLE stack.fromother (id int)", "DROP DATABASE IF EXISTS shop", "CREATE DATABASE shop"}
	if got := statements(t, replay.Files); !slices.Equal(got, want) {
		t.Errorf("the replay's statements are %q, want %q", got, want)
	}
}
