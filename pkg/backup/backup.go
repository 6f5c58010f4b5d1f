package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Options say what to back up and where.
type Options struct {
	Namespace string
	Path      string
	// Compression of the file (the verb's default is gzip).
	Compression Compression
	// Force replaces an existing file.
	Force bool
	// Databases to dump; every user database when empty.
	Databases []string
	// Progress gets a line when the dump starts, once the checks passed.
	Progress io.Writer
}

// Result describes a finished backup.
type Result struct {
	Path     string        `json:"path"`
	Checksum string        `json:"sha256"`
	Size     int64         `json:"bytes"`
	DumpSize int64         `json:"dumpBytes"`
	Duration time.Duration `json:"duration"`
}

// Throughput is the dump's bytes per second.
func (r Result) Throughput() float64 { return float64(r.DumpSize) / r.Duration.Seconds() }

// ErrExists means the target file is there and --force was not given.
type ErrExists struct{ Path string }

func (e ErrExists) Error() string {
	return fmt.Sprintf("%s exists: pass --force to replace it, or name another file", e.Path)
}

// Backup streams a dump of every user database into o.Path. The file
// appears only complete and verified: the dump goes to a hidden temporary
// file beside it, and only when mysqldump exited 0 and wrote its completion
// trailer is the file synced and renamed into place, its checksum beside it.
// On any failure, Ctrl-C included, nothing is left.
func Backup(ctx context.Context, c *kube.Clients, o Options) (*Result, error) {
	start := time.Now()
	if err := CheckTarget(o.Path, o.Force); err != nil {
		return nil, err
	}
	db, err := openDatabase(ctx, c, o.Namespace)
	if err != nil {
		return nil, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "backing up namespace %s from %s to %s ...\n", o.Namespace, db.pod, o.Path)
	}
	sweepPartials(o.Path)
	tmp, err := os.CreateTemp(filepath.Dir(o.Path), partialPattern(o.Path))
	if err != nil {
		return nil, notWritten(o.Path, localError("create", err))
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	sum, dumped, err := stream(ctx, db, o, tmp)
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, notWritten(o.Path, localError("write", err))
	}
	size, _ := tmp.Seek(0, io.SeekCurrent)
	if err := tmp.Close(); err != nil {
		return nil, notWritten(o.Path, localError("write", err))
	}
	if err := install(tmp.Name(), o, sum); err != nil {
		return nil, err
	}
	return &Result{Path: o.Path, Checksum: sum, Size: size, DumpSize: dumped, Duration: time.Since(start)}, nil
}

// stream runs mysqldump and writes its output, compressed, to f while
// hashing what is written. It returns the hash and the dump's own size.
func stream(ctx context.Context, db *database, o Options, f *os.File) (string, int64, error) {
	hash := sha256.New()
	n, _, err := dumpTo(ctx, db, io.MultiWriter(f, hash), o.Compression, o.Databases)
	if err != nil {
		return "", 0, notWritten(o.Path, err)
	}
	return hex.EncodeToString(hash.Sum(nil)), n, nil
}

// notWritten says that no backup file was written, and why; a full local
// disk gets its remedy, since running again cannot help.
func notWritten(path string, err error) error {
	hint := ""
	if errors.Is(err, syscall.ENOSPC) {
		hint = ": free space there, or name a file on another disk"
	}
	var local *LocalError
	if errors.As(err, &local) {
		return fmt.Errorf("backup %s not written: %w%s", path, err, hint)
	}
	var trailer *TrailerError
	if errors.As(err, &trailer) {
		return fmt.Errorf("%w, no file written: run again", err)
	}
	return fmt.Errorf("mysqldump failed, no file written: %w", err)
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
