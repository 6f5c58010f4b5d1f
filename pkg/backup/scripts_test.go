package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stubClient stands in for the mysql client: it echoes what it reads and,
// like the client on a statement the server refuses, exits 1 at a line
// saying REFUSE.
const stubClient = `#!/bin/sh
while IFS= read -r line; do
  case "$line" in *REFUSE*) echo "ERROR 1064 (42000) at line 2: refused" >&2; exit 1;; esac
  printf '%s\n' "$line"
done
`

// runRestoreScript runs the in-pod restore of a gzipped dump with this
// machine's sh, head and gzip and the stub client, its files in a folder
// of the test. stdin stays open after the input, as the plugin holds it.
func runRestoreScript(t *testing.T, input []byte) (stdout, stderr string, err error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mysql"), []byte(stubClient), 0o755); err != nil {
		t.Fatal(err)
	}
	// A guard against a hang, not a measure of speed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := strings.ReplaceAll(gunzipRestoreScript(int64(len(input))), "/tmp/", dir+"/")
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Env = []string{"PATH=" + dir + ":" + os.Getenv("PATH"), "MYSQL_ROOT_PASSWORD=x"}
	// A pipe of the OS, as the exec stream's stdin is in the pod: Wait
	// closes it once the script has exited.
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = w.Write(input) }()
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the restore script still ran after a minute; stderr: %s", errOut.String())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".kubectl-stack*")); len(left) > 0 {
		t.Errorf("the script left %v behind", left)
	}
	return out.String(), errOut.String(), err
}

func TestRestoreScriptRunsTheWholeDump(t *testing.T) {
	input := append(gzipMember("CREATE TABLE t (a int);\n"), gzipMember(doneQuery)...)
	out, stderr, err := runRestoreScript(t, input)
	if err != nil || !strings.Contains(out, doneMark) {
		t.Fatalf("err %v, stdout %q, stderr %q", err, out, stderr)
	}
}

// The client ending first must end the script before the whole dump was
// read, with the client's status and message. (gzip reads 256 KiB before it
// decompresses any: the rest of the dump does not compress below that.)
func TestRestoreScriptEndsWithARefusedStatement(t *testing.T) {
	noise := make([]byte, 512<<10)
	_, _ = rand.Read(noise)
	dump := "SELECT 1;\nREFUSE;\nSELECT '" + hex.EncodeToString(noise) + "';\n"
	_, stderr, err := runRestoreScript(t, gzipMember(dump))
	if err == nil || !strings.Contains(stderr, "ERROR 1064") {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
}

// A dump that does not decompress fails the script although the client,
// seeing the end of its input, exits 0.
func TestRestoreScriptFailsOnADamagedDump(t *testing.T) {
	damaged := gzipMember("SELECT 1;\n" + strings.Repeat("x", 4096))
	damaged = damaged[:len(damaged)/2]
	_, stderr, err := runRestoreScript(t, damaged)
	if err == nil {
		t.Fatalf("a truncated gzip stream restored without error; stderr %q", stderr)
	}
}
