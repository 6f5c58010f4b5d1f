package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// TamperedError is a data object whose sha256 is not its manifest's.
type TamperedError struct {
	ID        string
	Got, Want string
}

func (e *TamperedError) Error() string {
	return fmt.Sprintf("backup %s does not match its manifest (sha256 %s, manifest says %s): the data object was changed or damaged; nothing was restored, use another backup",
		e.ID, e.Got[:12], e.Want[:12])
}

// Fetch downloads a backup's dump into dir, checks its sha256 against the
// manifest and reads it through as Verify does. The caller removes the
// file (Dump.Path and its checksum file) when done with it.
func Fetch(ctx context.Context, loc location.Location, e *Entry, dir string) (*Dump, error) {
	m := e.Manifest
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, localError("create", err)
	}
	r, err := loc.Get(ctx, m.ID+"/"+m.Data.Key)
	if err != nil {
		return nil, fmt.Errorf("reading backup %s: %w", m.ID, err)
	}
	defer r.Close()
	path := filepath.Join(dir, m.Namespace+"-"+m.ID+m.Data.Compression.Ext())
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, localError("create", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, hash), r); err != nil {
		return nil, fmt.Errorf("downloading backup %s: %w", m.ID, err)
	}
	if err := f.Close(); err != nil {
		return nil, localError("write", err)
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != m.Data.SHA256 {
		return nil, &TamperedError{ID: m.ID, Got: got, Want: m.Data.SHA256}
	}
	if err := install(f.Name(), Options{Path: path, Force: true}, m.Data.SHA256); err != nil {
		return nil, err
	}
	d, err := Verify(path)
	if err == nil && !slices.Equal(slices.Sorted(slices.Values(d.Databases)), slices.Sorted(slices.Values(m.DatabaseNames()))) {
		err = fmt.Errorf("backup %s holds the databases %v, its manifest names %v: the backup is damaged, use another", m.ID, d.Databases, m.DatabaseNames())
	}
	if err != nil {
		Discard(path)
		return nil, err
	}
	return d, nil
}

// Download finds backup id ("latest": the newest complete one) in the
// location and fetches it into dir as Fetch does.
func Download(ctx context.Context, loc location.Location, id, dir string, progress io.Writer) (*Entry, *Dump, error) {
	cat, err := List(ctx, loc)
	if err != nil {
		return nil, nil, err
	}
	entry, err := cat.Find(id)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(progress, "downloading backup %s from %s ...\n", entry.ID, loc)
	d, err := Fetch(ctx, loc, entry, dir)
	return entry, d, err
}

// Discard removes a fetched dump and its checksum file.
func Discard(path string) {
	_ = os.Remove(path)
	_ = os.Remove(ChecksumPath(path))
}
