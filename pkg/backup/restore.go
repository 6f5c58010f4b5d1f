package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Count is one database: after a restore, or, for a dry run, as it is now.
type Count struct {
	Database string `json:"database"`
	// Exists says the server has the database (a dry run's question).
	Exists bool  `json:"exists"`
	Tables int   `json:"tables"`
	Rows   int64 `json:"rows"`
}

// RestoreOptions say where to restore and how to keep the data safe.
type RestoreOptions struct {
	Namespace string
	// SafetyDir is the local folder the safety copy is written to.
	SafetyDir string
	// KeepSafetyCopy keeps the safety copy after a restore that succeeded.
	KeepSafetyCopy bool
	// RollbackContext gives the context in which the databases are put back
	// after a failure: the restore's own may be cancelled already (Ctrl-C).
	RollbackContext func() (context.Context, context.CancelFunc)
	// Progress gets a line per phase.
	Progress io.Writer
	// DryRun checks the database is there and ready, and counts what the
	// restore would replace; it changes nothing and writes no safety copy.
	DryRun bool
	// Replay, when set, is applied after the dump: a point-in-time
	// restore. A failure of it puts the safety copy back too.
	Replay *Replay
	// Parallel is how many tables load at once (a dump of --databases
	// with two tables or more); 1 loads the dump whole, on one
	// connection; 0 lets the database container's CPU limit decide
	// (defaultParallel).
	Parallel int
}

// RestoreResult describes a restore that succeeded, or what a dry run
// found it would replace.
type RestoreResult struct {
	DryRun    bool    `json:"dryRun"`
	Databases []Count `json:"databases"`
	// SafetyCopy is the safety copy's path, when it was kept.
	SafetyCopy string `json:"safetyCopy,omitempty"`
}

// doneMark is selected after the dump: the client printing it proves it
// read and ran the whole dump, up to its last line.
const doneMark = "kubectl-stack: restore complete"

// Restore replaces the databases a dump holds, once verified, or leaves
// the server as it was. It first writes a verified safety copy of those
// of the dump's databases the server has, then drops the dump's databases
// and loads the dump. On any failure (a statement the server refuses, the
// connection or the pod lost, Ctrl-C) it drops them again and loads the
// safety copy, in a context of its own, and says what happened.
func Restore(ctx context.Context, c *kube.Clients, v *Verifying, o RestoreOptions) (*RestoreResult, error) {
	db, err := openDatabase(ctx, c, o.Namespace)
	if err != nil {
		return nil, v.Before(ctx, err)
	}
	if o.DryRun {
		d, err := v.Wait(ctx)
		if err != nil {
			return nil, err
		}
		return plan(ctx, db, d)
	}
	d, safety, prepared, err := prepare(ctx, c, db, v, o)
	if err != nil {
		return nil, err
	}
	if err := readyToLoad(ctx, db, d, o); err != nil {
		prepared.discard(o.rollbackContext)
		discardBinlogs(db, o.rollbackContext)
		_ = safety.remove()
		return nil, fmt.Errorf("%w; nothing was changed", err)
	}
	fmt.Fprintf(o.Progress, "restoring %s into %s in namespace %s ...\n", d.Path, db.pod, o.Namespace)
	counts, err := prepared.load(ctx, d)
	if err == nil && !o.Replay.empty() {
		fmt.Fprintf(o.Progress, "replaying the binary logs ...\n")
		if err = replay(ctx, db, o.Replay); err == nil {
			// The replay changed the counts the dump gave.
			counts, err = existingCounts(ctx, db, d.Databases)
		}
	}
	if err != nil {
		return nil, rollBack(c, d, safety, o, err)
	}
	res := &RestoreResult{Databases: counts}
	if o.KeepSafetyCopy {
		res.SafetyCopy = safety.Path
	} else if err := safety.remove(); err != nil {
		fmt.Fprintf(o.Progress, "warning: the restore succeeded, but its safety copy could not be removed: %v\n", err)
	}
	return res, nil
}

// readyToLoad copies the binary logs a point-in-time restore replays into
// the pod, then ends the sessions that would keep the load's drops waiting.
func readyToLoad(ctx context.Context, db *database, d *Dump, o RestoreOptions) error {
	if !o.Replay.empty() {
		if err := copyBinlogs(ctx, db, o.Replay); err != nil {
			return err
		}
	}
	return endSessions(ctx, db, d.Databases, o.Progress)
}

// prepare readies the dump's file (copyIntoPod) while it is verified and
// then the safety copy taken; none of it changes the databases, and what
// it made is removed when any part fails.
func prepare(ctx context.Context, c *kube.Clients, db *database, v *Verifying, o RestoreOptions) (*Dump, *safetyCopy, *loader, error) {
	ready := make(chan error, 1)
	var l *loader
	go func() {
		var err error
		l, err = prepareLoad(ctx, db, v.Path, db.parallel(o.Parallel), o.SafetyDir)
		ready <- err
	}()
	d, err := v.Wait(ctx)
	var safety *safetyCopy
	if err == nil {
		safety, err = takeSafetyCopy(ctx, c, db, d, o)
	}
	perr := <-ready
	if err == nil && perr == nil {
		if err = l.matches(d); err != nil {
			_ = safety.remove()
		}
	}
	switch {
	case err != nil:
		l.discard(o.rollbackContext)
		return nil, nil, nil, err
	case perr != nil:
		_ = safety.remove()
		return nil, nil, nil, fmt.Errorf("%w; nothing was changed", perr)
	}
	return d, safety, l, nil
}

// plan counts what a restore of d would replace, changing nothing.
func plan(ctx context.Context, db *database, d *Dump) (*RestoreResult, error) {
	existing, err := existingDatabases(ctx, db, d.Databases)
	if err != nil {
		return nil, fmt.Errorf("reading which databases exist: %w", err)
	}
	now, err := counts(ctx, db, existing)
	if err != nil {
		return nil, err
	}
	res := &RestoreResult{DryRun: true}
	for _, name := range d.Databases {
		c := Count{Database: name}
		if i := slices.Index(existing, name); i >= 0 {
			c = now[i]
		}
		res.Databases = append(res.Databases, c)
	}
	return res, nil
}

// load drops the dump's databases, so that they hold exactly what the dump
// holds afterwards, and loads the dump with the mysql client. (Its one
// caller restores into a scratch pod, removed afterwards with any copy.)
func load(ctx context.Context, db *database, d *Dump) error {
	l, err := prepareLoad(ctx, db, d.Path, 1, "")
	if err == nil {
		err = l.matches(d)
	}
	if err == nil {
		_, err = l.load(ctx, d)
	}
	return err
}

// loader loads a dump file: split by table here and its parts streamed
// over several connections at once, copied into the pod whole, or
// streamed from here whole. Whole, the client runs, in one session, the drops of the
// dump's databases, the dump and doneQuery.
type loader struct {
	db *database
	// copied is the sha256 of the pod's copy, "" when there is none.
	copied string
	// split is the dump's parts, nil when it loads whole.
	split    *splitDump
	parallel int
}

// prepareLoad splits the dump into localDir when more than one connection
// may load it, and copies what it loads into the pod.
func prepareLoad(ctx context.Context, db *database, path string, parallel int, localDir string) (*loader, error) {
	if parallel > 1 {
		split, err := prepareSplit(ctx, db, path, localDir)
		if err != nil || split != nil {
			return &loader{db: db, split: split, parallel: parallel}, err
		}
	}
	copied, err := copyIntoPod(ctx, db, path)
	return &loader{db: db, copied: copied}, err
}

// matches says whether what the pod has is the file as it was verified.
func (l *loader) matches(d *Dump) error {
	sum := l.copied
	if l.split != nil {
		sum = l.split.sha256
	}
	if sum == "" || sum == d.sha256 {
		return nil
	}
	return fmt.Errorf("%s changed while it was copied into %s (sha256 %s, verified %s): nothing was changed", d.Path, l.db.pod, sum[:12], d.sha256[:12])
}

// load runs the drops and the dump and returns what it loaded, as Verify
// counted it. A server error names the line of the dump, not of the drops
// before it.
func (l *loader) load(ctx context.Context, d *Dump) ([]Count, error) {
	if l.split != nil {
		if err := l.loadSplit(ctx); err != nil {
			return nil, err
		}
		return d.counts, nil
	}
	drops := dropDatabases(d.Databases)
	err := l.run(ctx, d, drops)
	var se *ServerError
	if n := strings.Count(drops, "\n"); errors.As(err, &se) && se.Line > n {
		se.Line -= n
	}
	if err != nil {
		return nil, err
	}
	return d.counts, nil
}

func (l *loader) run(ctx context.Context, d *Dump, drops string) error {
	if l.copied != "" {
		return feed(ctx, l.db, podRestoreScript(drops), nil)
	}
	f, err := os.Open(d.Path)
	if err != nil {
		return localError("open", err)
	}
	defer f.Close()
	dump, err := d.Compression.decompressor(f)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Path, err)
	}
	defer dump.Close()
	return feed(ctx, l.db, restoreScript, io.MultiReader(strings.NewReader(drops), dump, strings.NewReader(doneQuery)))
}

// discard removes the pod's copy of a dump, or the local parts of a split
// one, that will not be loaded.
func (l *loader) discard(rollbackContext func() (context.Context, context.CancelFunc)) {
	switch {
	case l == nil:
	case l.split != nil:
		l.split.remove()
	case l.copied != "":
		ctx, cancel := rollbackContext()
		defer cancel()
		_ = l.db.run(ctx, "rm -f "+podDumpFile, nil, io.Discard)
	}
}

// doneQuery follows every dump a restore loads: the client printing
// doneMark proves it ran the dump to its end.
const doneQuery = "\nSELECT '" + doneMark + "';\n"

// feed runs a restore script, its stdin (if any) a dump followed by
// doneQuery, and checks the client ran it to its end.
func feed(ctx context.Context, db *database, script string, stdin io.Reader) error {
	stdout := &tail{max: 4096}
	if err := db.run(ctx, script, stdin, stdout); err != nil {
		return err
	}
	if !strings.Contains(stdout.String(), doneMark) {
		return &StreamError{Pod: db.pod, Err: fmt.Errorf("the mysql client ended before the end of the dump")}
	}
	return nil
}

func dropDatabases(dbs []string) string {
	var b strings.Builder
	for _, name := range dbs {
		fmt.Fprintf(&b, "DROP DATABASE IF EXISTS %s;\n", ident(name))
	}
	return b.String()
}

// counts counts exactly (COUNT(*), not the estimate of
// information_schema) the rows of every table of the databases.
func counts(ctx context.Context, db *database, dbs []string) ([]Count, error) {
	out := make([]Count, len(dbs))
	index := map[string]int{}
	for i, name := range dbs {
		out[i] = Count{Database: name, Exists: true}
		index[name] = i
	}
	if len(dbs) == 0 {
		return out, nil
	}
	tables, err := query(ctx, db, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema IN ("+sqlStrings(dbs)+")")
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, t := range tables {
		parts = append(parts, fmt.Sprintf("SELECT %s, COUNT(*) FROM %s.%s", sqlString(t[0]), ident(t[0]), ident(t[1])))
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := query(ctx, db, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		n, _ := strconv.ParseInt(r[1], 10, 64)
		out[index[r[0]]].Tables++
		out[index[r[0]]].Rows += n
	}
	return out, nil
}

// query runs one statement and returns its rows' tab-separated fields.
func query(ctx context.Context, db *database, statement string) ([][]string, error) {
	var buf bytes.Buffer
	if err := db.run(ctx, queryScript, strings.NewReader(statement+";\n"), &buf); err != nil {
		return nil, fmt.Errorf("querying the server: %w", err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, nil
}

func ident(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

func sqlStrings(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = sqlString(n)
	}
	return strings.Join(q, ",")
}
