package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// ArchiveOptions say what to back up into which location.
type ArchiveOptions struct {
	Namespace string
	// Overlay goes into the manifest: what the stack was applied from.
	Overlay     string
	Location    location.Location
	Compression Compression
	// Databases to dump; every user database when empty.
	Databases []string
	// PluginVersion goes into the manifest.
	PluginVersion string
	// Progress gets a line when the dump starts.
	Progress io.Writer
}

// idFormat names a backup by the UTC millisecond it began: IDs sort by
// time.
const idFormat = "20060102T150405.000Z"

// Archive streams a dump into the location, compressed on this machine
// and hashed as it goes, with no local copy: the object store receives it
// in parts and makes it visible only whole. The manifest is written last,
// so a backup that failed or was interrupted is never listed as restorable;
// what it left is removed by the next prune.
func Archive(ctx context.Context, c *kube.Clients, o ArchiveOptions) (*Manifest, error) {
	start := time.Now().UTC()
	m := &Manifest{APIVersion: "kubectl-stack.io/v1alpha1", Kind: "BackupManifest", Format: ManifestFormat,
		ID: start.Format(idFormat), Namespace: o.Namespace, Overlay: o.Overlay, Started: start, PluginVersion: o.PluginVersion}
	m.Data = DataObject{Key: dataName + o.Compression.Ext(), Compression: o.Compression}
	db, err := openDatabase(ctx, c, o.Namespace)
	if err != nil {
		return nil, err
	}
	// Reaching the store first finds wrong credentials, a missing bucket
	// or an endpoint out of reach before the dump begins.
	if _, err := readManifest(ctx, o.Location, m.ID); err == nil {
		return nil, fmt.Errorf("backup %s exists in %s: run again", m.ID, o.Location)
	} else if !errors.Is(err, location.ErrNotFound) {
		return nil, fmt.Errorf("backup not written: %w", err)
	}
	names, err := userDatabases(ctx, db, o.Databases)
	if err != nil {
		return nil, fmt.Errorf("backup not written: %w", err)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "backing up %d databases of namespace %s to %s%s/ ...\n", len(names), o.Namespace, o.Location, m.ID)
	}
	// The counts and checksums are read beside the dump, in a session of
	// their own, so the backup takes as long as the dump alone.
	snapped := make(chan error, 1)
	go func() {
		var err error
		m.Databases, m.Server, err = snapshot(ctx, db, names)
		snapped <- err
	}()
	err = upload(ctx, db, o, m, names)
	if serr := <-snapped; err == nil && serr != nil {
		_ = o.Location.Delete(context.WithoutCancel(ctx), []string{m.ID + "/" + m.Data.Key})
		err = fmt.Errorf("reading the tables' counts and checksums: %w", serr)
	}
	if err != nil {
		return nil, fmt.Errorf("backup %s not written: %w", m.ID, err)
	}
	m.Finished = time.Now().UTC()
	if err := writeJSON(ctx, o.Location, m.ID+"/"+manifestName, m); err != nil {
		// Without its manifest the data is debris: take it away now
		// when the store lets us, else the next prune does.
		_ = o.Location.Delete(context.WithoutCancel(ctx), []string{m.ID + "/" + m.Data.Key})
		return nil, fmt.Errorf("backup %s not written (its manifest failed): %w", m.ID, err)
	}
	return m, nil
}

// upload runs mysqldump into a pipe the location reads from: the dump
// compressed and hashed on the way. The manifest gets the sizes and sum.
func upload(ctx context.Context, db *database, o ArchiveOptions, m *Manifest, names []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	hash := sha256.New()
	dumped := make(chan error, 1)
	go func() {
		n, at, err := dumpTo(ctx, db, io.MultiWriter(pw, hash), o.Compression, names)
		m.Data.DumpBytes, m.Binlog = n, at
		dumped <- err
		pw.CloseWithError(err) // nil: the end of the object
	}()
	stored, putErr := o.Location.Put(ctx, m.ID+"/"+m.Data.Key, pr)
	pr.CloseWithError(errStoreFailed) // ends a dump still running
	dumpErr := <-dumped
	switch {
	case dumpErr != nil && !errors.Is(dumpErr, errStoreFailed):
		var trailer *TrailerError
		if errors.As(dumpErr, &trailer) {
			return dumpErr
		}
		return fmt.Errorf("mysqldump failed: %w", dumpErr)
	case putErr != nil:
		return putErr
	}
	m.Data.Bytes, m.Data.SHA256 = stored, hex.EncodeToString(hash.Sum(nil))
	return nil
}

// errStoreFailed ends a dump whose upload failed; the upload's error is
// the one reported.
var errStoreFailed = errors.New("the upload failed")

// dumpTo runs mysqldump into w, compressed: every user database, or the
// named ones. It fails unless the dump ended with its completion trailer,
// and returns the dump's size and its binary log coordinates (nil when
// the server writes none).
func dumpTo(ctx context.Context, db *database, w io.Writer, c Compression, names []string) (int64, *BinlogPosition, error) {
	stream := newPodStream(c, w)
	if err := db.run(ctx, dumpScript(names), nil, stream); err != nil {
		stream.abort(err)
		return stream.counted.n, nil, err
	}
	if err := stream.Close(); err != nil {
		return stream.counted.n, nil, err
	}
	if !completed(stream.trailer.buf) {
		return stream.counted.n, nil, &TrailerError{Bytes: stream.counted.n}
	}
	return stream.counted.n, binlogPosition(stream.leading.buf), nil
}

// TrailerError is a dump that ended without mysqldump's completion line.
type TrailerError struct{ Bytes int64 }

func (e *TrailerError) Error() string {
	return fmt.Sprintf("mysqldump ended without its completion trailer after %d bytes", e.Bytes)
}
