package location

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// local is a folder on this machine. An object grows in a hidden partial
// file beside its name and is renamed into place when whole.
type local struct{ dir string }

const partialMark = ".partial-"

func newLocal(dir string) (*local, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup folder %s does not exist: create it first", dir)
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("backup location %s is a file: name a folder", dir)
	}
	return &local{dir: filepath.Clean(dir)}, nil
}

func (l *local) String() string { return l.dir }

func (l *local) path(key string) string { return filepath.Join(l.dir, filepath.FromSlash(key)) }

func (l *local) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	path := l.path(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+partialMark+"*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	n, err := io.Copy(tmp, contextReader{ctx, r})
	if err != nil {
		return n, err
	}
	if err := tmp.Sync(); err != nil {
		return n, err
	}
	if err := tmp.Close(); err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, err
	}
	return n, syncDir(filepath.Dir(path))
}

// syncDir makes a rename in the folder survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (l *local) Get(_ context.Context, key string) (io.ReadCloser, error) {
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", l.path(key), ErrNotFound)
	}
	return f, err
}

func (l *local) List(_ context.Context) ([]Object, error) {
	var out []Object
	err := filepath.WalkDir(l.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(l.dir, path)
		out = append(out, Object{Key: filepath.ToSlash(rel), Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	return out, err
}

func (l *local) Delete(_ context.Context, keys []string) error {
	dirs := map[string]bool{}
	for _, k := range keys {
		if err := os.Remove(l.path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		dirs[filepath.Dir(l.path(k))] = true
	}
	for d := range dirs {
		if d != l.dir {
			_ = os.Remove(d) // only when empty
		}
	}
	return nil
}

// Sweep removes partial files a killed backup left.
func (l *local) Sweep(_ context.Context, before time.Time) ([]string, error) {
	var removed []string
	err := filepath.WalkDir(l.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(d.Name(), partialMark) {
			return err
		}
		if info, err := d.Info(); err != nil || !info.ModTime().Before(before) {
			return err
		}
		if err := os.Remove(path); err != nil {
			return err
		}
		rel, _ := filepath.Rel(l.dir, path)
		removed = append(removed, filepath.ToSlash(rel))
		return nil
	})
	return removed, err
}

// contextReader ends a copy when the context is done (Ctrl-C).
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
