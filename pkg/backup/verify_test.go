package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleDump = "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n" +
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n" +
	"USE `app`;\nINSERT INTO `t` VALUES (1);\n" +
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n" +
	"-- Dump completed on 2026-11-26  0:00:00\n"

// writeBackup writes content as a backup with a matching checksum file.
func writeBackup(t *testing.T, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "b.sql.gz")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if err := os.WriteFile(ChecksumPath(path), []byte(hex.EncodeToString(sum[:])+"  b.sql.gz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func zstded(s string) []byte {
	var buf bytes.Buffer
	w, _ := Zstd.compressor(&buf)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return buf.Bytes()
}

func TestVerifyAcceptsWholeDumps(t *testing.T) {
	long := strings.Replace(sampleDump, "(1)", "("+strings.Repeat("9", 200000)+")", 1)
	sandboxed := "/*M!999999\\- enable the sandbox mode */ \n" + sampleDump
	for name, tc := range map[string]struct {
		content []byte
		want    Compression
	}{
		"gzip": {gzipMember(sampleDump), Gzip}, "plain": {[]byte(sampleDump), None}, "zstd": {zstded(sampleDump), Zstd},
		"long line": {gzipMember(long), Gzip}, "mariadb sandbox": {gzipMember(sandboxed), Gzip},
	} {
		d, err := Verify(writeBackup(t, tc.content))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(d.Databases, ",") != "app,shop" || d.Compression != tc.want {
			t.Errorf("%s: %+v", name, d)
		}
	}
}

func TestVerifyRefusesDamage(t *testing.T) {
	flipped := gzipMember(sampleDump)
	flipped[len(flipped)/2] ^= 1
	truncated := strings.TrimSuffix(sampleDump, "-- Dump completed on 2026-11-26  0:00:00\n")
	cases := map[string]struct {
		content []byte
		want    string
	}{
		"truncated":     {gzipMember(truncated), "truncated dump"},
		"not a dump":    {[]byte("hello\n"), "not a mysqldump file"},
		"not gzip data": {append([]byte{0x1f, 0x8b}, "xx"...), "not a gzip file"},
	}
	for name, c := range cases {
		if _, err := Verify(writeBackup(t, c.content)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	// A byte flipped after the checksum was taken.
	path := writeBackup(t, gzipMember(sampleDump))
	if err := os.WriteFile(path, flipped, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err == nil || !strings.Contains(err.Error(), "does not match its checksum") {
		t.Errorf("flipped byte: %v", err)
	}
	if err := os.Remove(ChecksumPath(path)); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err == nil || !strings.Contains(err.Error(), "no checksum file") {
		t.Errorf("no checksum file: %v", err)
	}
}

// A missing file, a folder and a gzip file cut short are named as what
// they are, not as a missing checksum or a file of another kind.
func TestVerifyNamesTheFilesProblem(t *testing.T) {
	dir := t.TempDir()
	whole := gzipMember(strings.Repeat(sampleDump, 2000))
	cut := writeBackup(t, whole[:len(whole)/2])
	cutEarly := writeBackup(t, whole[:40])
	cases := map[string]struct{ path, want string }{
		"missing":         {filepath.Join(dir, "nightly.sql.gz"), "nightly.sql.gz does not exist"},
		"a folder":        {dir, "is a folder, not a backup file"},
		"truncated gzip":  {cut, "is truncated: its gzip stream ends early"},
		"cut in its head": {cutEarly, "is truncated: its gzip stream ends early"},
	}
	for name, c := range cases {
		_, err := Verify(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if err := CheckFile(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("CheckFile of a folder: %v", err)
	}
}

func TestInstallNeverReplacesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "b.sql.gz")
	if err := os.WriteFile(target, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{Path: target}
	var exists ErrExists
	if err := CheckTarget(o.Path, o.Force); !errors.As(err, &exists) {
		t.Fatalf("CheckTarget over a file: %v", err)
	}
	tmp := filepath.Join(dir, ".b.sql.gz.partial-1")
	if err := os.WriteFile(tmp, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := install(tmp, o, strings.Repeat("0", 64)); !errors.As(err, &exists) {
		t.Fatalf("install over a file: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != "precious" {
		t.Fatalf("the existing file was changed to %q", got)
	}
	o.Force = true
	if err := install(tmp, o, strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Fatalf("--force did not replace: %q", got)
	}
	if _, err := readChecksum(target); err != nil {
		t.Fatal(err)
	}
}

// FuzzVerify feeds arbitrary files, with a matching checksum, to the dump
// check: it never panics, and what it accepts has a header and the trailer.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(sampleDump))
	f.Add(gzipMember(sampleDump))
	f.Add([]byte("-- MySQL dump 8.4\n-- Dump completed\n"))
	f.Add([]byte("/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `x`\n-- Dump completed on x\n"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, content []byte) {
		d, err := Verify(writeBackup(t, content))
		if err != nil {
			return
		}
		if d.Compression == None && (!strings.Contains(string(content), "dump ") || !strings.Contains(string(content), trailerMark)) {
			t.Fatalf("accepted a plain file without header or trailer: %q", content)
		}
	})
}
