package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// Dump is what a verified backup file holds.
type Dump struct {
	Path      string   `json:"path"`
	Databases []string `json:"databases"`
	// Compression is read off the file's first bytes.
	Compression Compression `json:"compression"`
	// counts are the tables and rows the dump loads into each database.
	counts []Count
	// sha256 is the file's, as verified.
	sha256 string
}

var (
	dumpHeader = regexp.MustCompile(`^-- (MySQL|MariaDB) dump `)
	// MariaDB since 10.11.8 opens its dumps with this line, which makes its
	// own client refuse shell commands in the rest of the file.
	sandboxLine    = "/*M!999999\\- enable the sandbox mode */"
	createDBPrefix = []byte("CREATE DATABASE ")
	createDB       = regexp.MustCompile("^CREATE DATABASE /\\*!32312 IF NOT EXISTS\\*/ `([^`]+)`")
)

// Verify reads the file once: its sha256 must match the checksum file, and
// it must be a whole mysqldump (header first, completion trailer last),
// gzipped or not. It returns the databases the dump creates.
func Verify(path string) (*Dump, error) {
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	want, err := readChecksum(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the backup: %w", err)
	}
	defer f.Close()
	hash := sha256.New()
	raw := bufio.NewReaderSize(io.TeeReader(f, hash), 1<<16)
	d := &Dump{Path: path}
	head, _ := raw.Peek(len(zstdMagic))
	d.Compression = sniff(head)
	scanErr := d.scan(raw)
	if _, err := io.Copy(io.Discard, raw); err != nil { // hash the rest
		return nil, fmt.Errorf("reading the backup: %w", err)
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != want {
		return nil, fmt.Errorf("%s does not match its checksum (sha256 %s, file says %s): the file is damaged, use another backup", path, got[:12], want[:12])
	}
	if scanErr != nil {
		return nil, scanErr
	}
	d.sha256 = want
	return d, nil
}

// scan checks the dump's header and trailer and collects its databases.
func (d *Dump) scan(raw io.Reader) error {
	text, err := d.Compression.decompressor(raw)
	if err != nil {
		return fmt.Errorf("%s is not a %s file: %v", d.Path, d.Compression, err)
	}
	defer text.Close()
	lines := bufio.NewReaderSize(text, 1<<16)
	first, err := lines.ReadString('\n')
	if strings.HasPrefix(first, sandboxLine) {
		first, err = lines.ReadString('\n')
	}
	if err != nil && err != io.EOF {
		return d.damaged(err)
	}
	if !dumpHeader.MatchString(first) {
		return fmt.Errorf("%s is not a mysqldump file (it starts %q): restore only files written by `kubectl stack backup`", d.Path, clip(first))
	}
	last := []byte(first)
	counter := &dumpCounter{index: map[string]int{}, db: -1}
	atStart := true
	for err == nil || err == bufio.ErrBufferFull {
		var line []byte
		line, err = lines.ReadSlice('\n')
		counter.feed(line, atStart)
		whole := atStart && err != bufio.ErrBufferFull
		atStart = err != bufio.ErrBufferFull
		if !whole { // a piece of a long INSERT: not a line we look at
			continue
		}
		// Most lines are rows: the cheap tests first, and no copy of them.
		if bytes.HasPrefix(line, createDBPrefix) {
			if m := createDB.FindSubmatch(line); m != nil {
				d.Databases = append(d.Databases, string(m[1]))
				counter.add(string(m[1]))
			}
		}
		if len(bytes.TrimSpace(line)) > 0 {
			last = append(last[:0], line...)
		}
	}
	d.counts = counter.res
	if err != io.EOF {
		return d.damaged(err)
	}
	if !completed(last) {
		return fmt.Errorf("%s is a truncated dump (no %q at its end): use another backup", d.Path, trailerMark)
	}
	return nil
}

// damaged names why the dump could not be read to its end: a compressed
// stream that stops early is a truncated file, anything else damage.
func (d *Dump) damaged(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s is truncated: its %s stream ends early (%v): use another backup", d.Path, d.Compression, err)
	}
	return fmt.Errorf("%s is damaged: %w", d.Path, err)
}

// CheckFile refuses a path that is not a file before anything reads it: a
// missing file and a folder are named as what they are.
func CheckFile(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("backup file %s does not exist: name a file `kubectl stack backup` wrote, or a location with --from", path)
	case err != nil:
		return fmt.Errorf("reading the backup file: %w", err)
	case info.IsDir():
		return fmt.Errorf("%s is a folder, not a backup file: name the file in it that `kubectl stack backup` wrote, or restore a backup location with --from %s", path, path)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
