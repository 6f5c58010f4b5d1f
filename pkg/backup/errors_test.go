package backup

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestParseServerError(t *testing.T) {
	stderr := "mysql: [Warning] Using a password on the command line interface can be insecure.\n" +
		"ERROR 1064 (42000) at line 2151: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'INSRT INTO `entries` VALUES (1,1.25,'x')' at line 1\n"
	got := parseServerError(stderr)
	if got == nil || got.Code != 1064 || got.State != "42000" || got.Line != 2151 || !strings.HasPrefix(got.Message, "You have an error") {
		t.Fatalf("parseServerError = %+v", got)
	}
	if !strings.HasPrefix(got.Error(), "ERROR 1064 (42000) at line 2151: You have") {
		t.Errorf("Error() = %q", got)
	}
	full := parseServerError("ERROR 1114 (HY000) at line 88: The table 'orders' is full")
	if full == nil || full.Code != 1114 {
		t.Errorf("table full: %+v", full)
	}
	noLine := parseServerError("ERROR 2013 (HY000): Lost connection to server during query")
	if noLine == nil || noLine.Line != 0 || strings.Contains(noLine.Error(), "at line") {
		t.Errorf("no line: %+v", noLine)
	}
	// The server gone: lost mid-query, or not there for a new connection
	// (a parallel restore's next table), but not the server's refusal.
	for stderr, lost := range map[string]bool{
		"ERROR 2013 (HY000): Lost connection to server during query":                                         true,
		"ERROR 2006 (HY000): Server has gone away":                                                           true,
		"ERROR 2002 (HY000): Can't connect to local server through socket '/var/run/mysqld/mysqld.sock' (2)": true,
		"ERROR 1047 (08S01) at line 1: WSREP has not yet prepared node for application use":                  false,
		"ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)":                false,
	} {
		if got := parseServerError(stderr).lostServer(); got != lost {
			t.Errorf("%s: lostServer %v, want %v", stderr, got, lost)
		}
	}
	long := parseServerError("ERROR 1064 (42000) at line 3: " + strings.Repeat("x", 5000))
	if len(long.Message) > maxMessage+3 {
		t.Errorf("message of %d bytes not clipped", len(long.Message))
	}
	if parseServerError("sh: 1: mysqldump: not found") != nil {
		t.Error("a shell's message read as the server's")
	}
}

// A full disk is kubectl's executor's blind spot: it drops the error of the
// writer it copies to. writeSide keeps it, with the path and the errno, and
// ends the stream.
func TestWriteSideKeepsALocalDiskError(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("this test writes to /dev/full: %v", err)
	}
	defer full.Close()
	ctx, cancel := context.WithCancel(context.Background())
	w := &writeSide{w: full, cancel: cancel}
	if _, err := w.Write([]byte("-- MySQL dump\n")); err == nil {
		t.Fatal("a write to /dev/full succeeded")
	}
	if ctx.Err() == nil {
		t.Error("the stream was not ended")
	}
	if !errors.Is(w.err, syscall.ENOSPC) || !strings.Contains(w.err.Error(), "cannot write /dev/full: no space left on device") {
		t.Errorf("kept %v", w.err)
	}
	got := notWritten("/backups/x.sql.gz", w.err)
	if !errors.Is(got, syscall.ENOSPC) || !strings.Contains(got.Error(), "backup /backups/x.sql.gz not written") || !strings.Contains(got.Error(), "free space there") {
		t.Errorf("notWritten = %v", got)
	}
}

func TestReadSideKeepsALocalReadError(t *testing.T) {
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	r := &readSide{r: dir}
	if _, err := r.Read(make([]byte, 10)); err == nil {
		t.Fatal("reading a directory succeeded")
	}
	if !errors.Is(r.err, syscall.EISDIR) || !strings.HasPrefix(r.err.Error(), "cannot read ") {
		t.Errorf("kept %v", r.err)
	}
}

func TestRestoreErrorSaysWhatHappened(t *testing.T) {
	cause := &ServerError{Code: 1064, State: "42000", Line: 12, Message: "syntax"}
	putBack := &RestoreError{Cause: cause, PutBack: true, SafetyCopy: "/s/k8s-assignment-1.sql.gz", Namespace: "k8s-assignment"}
	var server *ServerError
	if !errors.As(putBack, &server) || server.Line != 12 {
		t.Error("the server's error is not in the chain")
	}
	if got := putBack.Error(); !strings.HasPrefix(got, "restore failed, nothing was changed: ERROR 1064 (42000) at line 12: syntax;") ||
		!strings.Contains(got, "the safety copy stays in /s/k8s-assignment-1.sql.gz") {
		t.Errorf("put back: %q", got)
	}
	notPutBack := &RestoreError{Cause: context.Canceled, PutBackErr: errors.New("mysql-0 not ready"), SafetyCopy: "/s/c.sql.gz", Namespace: "ns"}
	if got := notPutBack.Error(); !strings.Contains(got, "putting the databases back failed too: mysql-0 not ready") ||
		!strings.Contains(got, "run `kubectl stack restore /s/c.sql.gz --yes -n ns`") {
		t.Errorf("not put back: %q", got)
	}
}

func TestDumpScriptQuotesDatabaseNames(t *testing.T) {
	got := dumpScript([]string{"shop", "it's"})
	if !strings.Contains(got, `set -- 'shop' 'it'\''s'`) || !strings.Contains(got, `--databases "$@"`) {
		t.Errorf("dumpScript:\n%s", got)
	}
	if every := dumpScript(nil); !strings.Contains(every, "information_schema.schemata") {
		t.Errorf("every database:\n%s", every)
	}
}
