//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// folderPrint is every entry of a folder: its path, mode, size and, for a
// file, the sha256 of its content. The user's data folder must be the same
// after the tests as before.
type folderPrint map[string]string

func fingerprint(dir string) (folderPrint, error) {
	print := folderPrint{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := fmt.Sprintf("%s %d", info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			sum, err := fileSum(path)
			if err != nil {
				return err
			}
			entry += " " + sum
		}
		rel, _ := filepath.Rel(dir, path)
		print[rel] = entry
		return nil
	})
	return print, err
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// summary is one line: the number of entries and a sha256 over all of them.
func (p folderPrint) summary() string {
	if len(p) == 0 {
		return "absent"
	}
	h := sha256.New()
	for _, k := range p.keys() {
		fmt.Fprintf(h, "%s\t%s\n", k, p[k])
	}
	return fmt.Sprintf("%d entries, sha256 %s", len(p), hex.EncodeToString(h.Sum(nil))[:16])
}

func (p folderPrint) keys() []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diff lists the entries that differ.
func (p folderPrint) diff(after folderPrint) string {
	var lines []string
	for _, k := range p.keys() {
		if after[k] != p[k] {
			lines = append(lines, fmt.Sprintf("  %s: %q -> %q", k, p[k], after[k]))
		}
	}
	for _, k := range after.keys() {
		if _, ok := p[k]; !ok {
			lines = append(lines, fmt.Sprintf("  %s: new %q", k, after[k]))
		}
	}
	return strings.Join(lines, "\n")
}
