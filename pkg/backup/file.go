package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// trailerMark is the comment mysqldump (and MariaDB's) writes last, only
// when the dump finished.
const trailerMark = "-- Dump completed"

func completed(end []byte) bool {
	return bytes.Contains(end, []byte(trailerMark))
}

// ChecksumPath is where the checksum of a backup file is kept, in the
// format of sha256sum, so `sha256sum -c` checks it too.
func ChecksumPath(path string) string { return path + ".sha256" }

// partialPattern names the hidden temporary file a backup grows in.
func partialPattern(path string) string { return "." + filepath.Base(path) + ".partial-*" }

// sweepPartials removes temporary files a killed backup (SIGKILL, a power
// cut: no chance to clean up) left for the same target.
func sweepPartials(path string) {
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(path), partialPattern(path)))
	for _, f := range old {
		_ = os.Remove(f)
	}
}

// CheckTarget refuses a backup file that cannot be written, before
// anything is dumped: no name, a folder, an existing file without force, a
// folder that is not there.
func CheckTarget(path string, force bool) error {
	if path == "" {
		return errors.New("no backup file named: pass a path such as backup.sql.gz")
	}
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return fmt.Errorf("%s is a directory: name a file in it", path)
	case err == nil && !force:
		return ErrExists{Path: path}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if dir, err := os.Stat(filepath.Dir(path)); err != nil || !dir.IsDir() {
		return fmt.Errorf("folder %s does not exist: create it first", filepath.Dir(path))
	}
	return nil
}

// install writes the checksum file, then moves the finished dump into place
// (without --force, never over a file that appeared meanwhile) and syncs
// the folder so both names survive a crash.
func install(tmp string, o Options, sum string) error {
	line := fmt.Sprintf("%s  %s\n", sum, filepath.Base(o.Path))
	sumTmp := tmp + ".sha256"
	if err := os.WriteFile(sumTmp, []byte(line), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", ChecksumPath(o.Path), err)
	}
	defer os.Remove(sumTmp)
	if o.Force {
		if err := os.Rename(tmp, o.Path); err != nil {
			return err
		}
	} else {
		if err := os.Link(tmp, o.Path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return ErrExists{Path: o.Path}
			}
			return err
		}
	}
	if err := os.Rename(sumTmp, ChecksumPath(o.Path)); err != nil {
		return err
	}
	if dir, err := os.Open(filepath.Dir(o.Path)); err == nil {
		_ = dir.Sync()
		_ = dir.Close()
	}
	return nil
}

// readChecksum reads the hex sum from a backup's checksum file.
func readChecksum(path string) (string, error) {
	data, err := os.ReadFile(ChecksumPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no checksum file %s beside the backup: restore only files written by `kubectl stack backup`, with their .sha256", ChecksumPath(path))
	}
	if err != nil {
		return "", err
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 || len(fields[0]) != 64 {
		return "", fmt.Errorf("%s is not a sha256 checksum file", ChecksumPath(path))
	}
	return strings.ToLower(fields[0]), nil
}
