package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
)

// podPartsDir is where a split dump's parts are copied in the pod and
// loaded from: /tmp is an emptyDir, so they go with the pod.
const podPartsDir = "/tmp/.kubectl-stack-restore.d"

// prepareSplit splits a dump into its parts in a folder of localDir, then
// copies them into the pod, and removes the local folder. It returns nil
// and no error when the dump is better loaded whole: a container without
// gzip, a dump of one table, or no room in the pod for the parts (the
// whole dump's copy falls back to streaming then). Nothing it does changes
// the databases.
func prepareSplit(ctx context.Context, db *database, dumpPath, localDir string) (*splitDump, error) {
	room, err := podRoom(ctx, db)
	if err != nil || room == 0 {
		return nil, err
	}
	if err := os.MkdirAll(localDir, 0o700); err != nil {
		return nil, localError("create", err)
	}
	dir, err := os.MkdirTemp(localDir, ".split-")
	if err != nil {
		return nil, localError("create", err)
	}
	defer os.RemoveAll(dir)
	d, err := splitFile(dumpPath, dir)
	if err != nil || len(d.Parts) < 4 || room < d.size+podSpareBytes {
		return nil, err
	}
	if err := d.copyInto(ctx, db); err != nil {
		removeParts(ctx, db)
		return nil, fmt.Errorf("copying the dump's parts into %s: %w", podPartsDir, err)
	}
	return d, nil
}

// removeParts removes the pod's parts, even after ctx ended: they are
// copies, and the next restore's stopRestoreClient would remove them too.
func removeParts(ctx context.Context, db *database) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = db.run(ctx, "rm -rf "+podPartsDir, nil, io.Discard)
}

func splitFile(dumpPath, dir string) (*splitDump, error) {
	f, err := os.Open(dumpPath)
	if err != nil {
		return nil, localError("open", err)
	}
	defer f.Close()
	head := make([]byte, len(zstdMagic))
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, localError("seek", err)
	}
	d, err := split(f, sniff(head[:n]), dir)
	if err != nil {
		return nil, fmt.Errorf("splitting %s by table: %w", dumpPath, err)
	}
	return d, nil
}

// copyInto copies every part into podPartsDir, an earlier restore's
// left-overs and its stop mark gone first; each Path is then the pod's.
func (d *splitDump) copyInto(ctx context.Context, db *database) error {
	if err := db.run(ctx, "rm -rf "+podPartsDir+" "+partsStopped, nil, io.Discard); err != nil {
		return err
	}
	for i, p := range d.Parts {
		f, err := os.Open(p.Path)
		if err != nil {
			return localError("open", err)
		}
		inPod := path.Join(podPartsDir, filepath.Base(p.Path))
		err = db.run(ctx, copyToScript(inPod, p.size), f, io.Discard)
		f.Close()
		if err != nil {
			return err
		}
		d.Parts[i].Path = inPod
	}
	return nil
}

// loadSplit loads the databases' part, then the tables' parts, parallel at
// once, then the rest. The first part that fails stops the others: their
// contexts end, and the caller's roll back ends their clients in the pod
// (stopRestoreClient) before it puts the databases back.
func (l *loader) loadSplit(ctx context.Context) error {
	parts := l.split.Parts
	if err := l.loadPart(ctx, parts[0]); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.parallel)
	for _, p := range parts[1 : len(parts)-1] {
		if gctx.Err() != nil { // a part failed: start no other
			break
		}
		g.Go(func() error { return l.loadPart(gctx, p) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := l.loadPart(ctx, parts[len(parts)-1]); err != nil {
		return err
	}
	removeParts(ctx, l.db) // the folder, the parts having removed themselves
	return nil
}

// loadPart loads one part in the pod, with no stdin, and names the table
// and the dump's line of a statement the server refuses.
func (l *loader) loadPart(ctx context.Context, p dumpPart) error {
	err := feed(ctx, l.db, podPartScript(p.Path), nil)
	var se *ServerError
	if errors.As(err, &se) && se.Line > 0 {
		se.Line = p.dumpLine(se.Line)
	}
	if err != nil && p.Table != "" {
		return fmt.Errorf("loading table %s: %w", p.Table, err)
	}
	return err
}
