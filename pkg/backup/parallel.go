package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// podPartsDir holds, in the pod, the PID files of the clients that load a
// split dump: /tmp is an emptyDir, so they go with the pod.
const podPartsDir = "/tmp/.kubectl-stack-restore.d"

// prepareSplit splits a dump into its parts in a folder of localDir, kept
// until the parts are loaded or discarded. It returns nil and no error
// when the dump is better loaded whole: a dump of fewer than two tables,
// or one that is not of --databases. Nothing it does changes the
// databases.
func prepareSplit(ctx context.Context, db *database, dumpPath, localDir string) (*splitDump, error) {
	gz, err := podHasGzip(ctx, db)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(localDir, 0o700); err != nil {
		return nil, localError("create", err)
	}
	dir, err := os.MkdirTemp(localDir, ".split-")
	if err != nil {
		return nil, localError("create", err)
	}
	d, err := splitFile(dumpPath, dir)
	if err != nil || d == nil || len(d.Parts) < 4 {
		os.RemoveAll(dir)
		return nil, err
	}
	d.dir, d.podGzip = dir, gz
	return d, nil
}

// podHasGzip says whether the container can decompress what it is sent:
// the parts then cross the exec stream as they are, compressed.
func podHasGzip(ctx context.Context, db *database) (bool, error) {
	room, err := podRoom(ctx, db)
	return room > 0, err
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

// remove removes the local parts.
func (d *splitDump) remove() { os.RemoveAll(d.dir) }

// loadSplit loads the databases' part, then the tables' parts over
// l.parallel connections at once, each taking the next table when it is
// done with one (as myloader's threads do), then the rest. The first
// connection that fails stops the others: their contexts end, and the
// caller's roll back ends their clients in the pod (stopRestoreClient)
// before it puts the databases back.
func (l *loader) loadSplit(ctx context.Context) error {
	defer l.split.remove()
	parts := l.split.Parts
	if err := l.loadParts(ctx, "databases", &partQueue{parts: parts[:1]}, first); err != nil {
		return err
	}
	tables := &partQueue{parts: parts[1 : len(parts)-1]}
	g, gctx := errgroup.WithContext(ctx)
	for i := range min(l.parallel, len(tables.parts)) {
		g.Go(func() error { return l.loadParts(gctx, "connection-"+strconv.Itoa(i), tables, 0) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return l.loadParts(ctx, "rest", &partQueue{parts: parts[len(parts)-1:]}, last)
}

// loadParts loads parts from the queue on one connection, one exec and
// client per part, until the queue is empty. A connection takes its next
// part only once the last one loaded: sent ahead behind a part that waits
// (on a lock, a slow table), a part would wait with it while other
// connections sat idle, and a failing part would not stop the restore.
func (l *loader) loadParts(ctx context.Context, name string, q *partQueue, at streamAt) error {
	for {
		p, ok := q.take()
		if !ok {
			return nil
		}
		if err := l.loadPart(ctx, name, p, at); err != nil {
			return err
		}
	}
}

// loadPart loads one part and names the table and the dump's line of a
// statement the server refuses.
func (l *loader) loadPart(ctx context.Context, name string, p dumpPart, at streamAt) error {
	part := openPart(p.Path, l.split.podGzip)
	defer part.Close()
	err := feed(ctx, l.db, partsScript(name, l.split.podGzip, at), part)
	var se *ServerError
	if !errors.As(err, &se) || se.Line <= 0 {
		return err
	}
	se.Line = p.dumpLine(se.Line)
	if p.Table != "" {
		return fmt.Errorf("loading table %s: %w", p.Table, err)
	}
	return err
}

// partQueue hands each part to one connection.
type partQueue struct {
	mu    sync.Mutex
	parts []dumpPart
}

func (q *partQueue) take() (dumpPart, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.parts) == 0 {
		return dumpPart{}, false
	}
	p := q.parts[0]
	q.parts = q.parts[1:]
	return p, true
}

// openPart reads a part's file as the pod takes it: compressed when it
// has gzip, else decompressed here. A failure is what Read returns.
func openPart(path string, compressed bool) io.ReadCloser {
	f, err := os.Open(path)
	if err != nil {
		return failedRead{localError("open", err)}
	}
	if compressed {
		return f
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return failedRead{fmt.Errorf("%s: %w", path, err)}
	}
	return struct {
		io.Reader
		io.Closer
	}{gz, f}
}

type failedRead struct{ err error }

func (r failedRead) Read([]byte) (int, error) { return 0, r.err }
func (r failedRead) Close() error             { return nil }

// parallel is how many connections load a split dump: the user's number,
// else defaultParallel of the container's CPU limit.
func (db *database) parallel(asked int) int {
	if asked > 0 {
		return asked
	}
	return defaultParallel(db.cpus)
}

// defaultParallel is one connection more than the cores the server may
// use (a connection waits for the exec stream and the disk part of the
// time; on 2 cores, 3 connections loaded 20 tables in 0.62 of the time
// one took, 2 in 0.81, 4 no faster than 3: docs/benchmarks.md), and 4
// when the container has no limit; at most 8.
func defaultParallel(cpus float64) int {
	if cpus <= 0 {
		return 4
	}
	return min(8, int(math.Ceil(cpus))+1)
}
