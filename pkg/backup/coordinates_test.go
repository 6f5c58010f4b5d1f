package backup

import (
	"os/exec"
	"strings"
	"testing"
)

// Both servers' dumps name where their snapshot stands in the binary logs.
func TestBinlogPositionFromTheDumpsHead(t *testing.T) {
	for head, want := range map[string]*BinlogPosition{
		"-- MariaDB dump 10.19\n--\n-- Position to start replication or point-in-time recovery from\n--\n\n-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=1234;\n": {File: "mysql-bin.000003", Pos: 1234},
		"-- MySQL dump 10.13\n-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157;\n":                                                                      {File: "binlog.000002", Pos: 157},
		"-- MariaDB dump 10.19\nCREATE DATABASE x;\n": nil,
	} {
		got := binlogPosition([]byte(head))
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("binlogPosition(%q) = %+v, want %+v", head, got, want)
		}
	}
}

// The prefix keeps the first bytes however they are split, and no more.
func TestPrefixKeepsTheFirstBytes(t *testing.T) {
	p := &prefix{max: 10}
	for _, s := range []string{"abc", "defgh", "ijklmnop"} {
		if n, err := p.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if string(p.buf) != "abcdefghij" {
		t.Fatalf("kept %q", p.buf)
	}
}

// The replay applies the files in order, then proves the client got to
// the end.
func TestReplayScript(t *testing.T) {
	s := replayScript(&Replay{Files: []string{"/x/mysql-bin.000003", "/x/mysql-bin.000004"}})
	for _, want := range []string{`"$bl" 'mysql-bin.000003' 'mysql-bin.000004'`, doneMark, "cd " + podBinlogDir} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q:\n%s", want, s)
		}
	}
	if !(&Replay{}).empty() || (&Replay{Files: []string{"a"}}).empty() {
		t.Error("empty() is wrong")
	}
}

// The replay leaves out the GTIDs mysqlbinlog gives each transaction (as
// MariaDB's prints them), and nothing else.
func TestReplayLeavesOutTheSourcesGTIDs(t *testing.T) {
	in := strings.Join([]string{
		"/*M!100001 SET @@session.gtid_domain_id=1*//*!*/;",
		"/*M!100001 SET @@session.server_id=1*//*!*/;",
		"/*M!100001 SET @@session.gtid_seq_no=1234*//*!*/;",
		"START TRANSACTION",
		"SET @@session.sql_mode=1411383296/*!*/;",
		"/*M!100001 SET @@session.gtid_seq_no=1235*//*!*/; -- not alone on its line",
		"COMMIT/*!*/;",
	}, "\n") + "\n"
	cmd := exec.Command("sed", "-E", sourceGTIDs)
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "START TRANSACTION\nSET @@session.sql_mode=1411383296/*!*/;\n/*M!100001 SET @@session.gtid_seq_no=1235*//*!*/; -- not alone on its line\nCOMMIT/*!*/;\n"
	if string(out) != want {
		t.Errorf("sed -E %s:\n%s\nwant:\n%s", sourceGTIDs, out, want)
	}
}
