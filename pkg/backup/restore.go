package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
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

// Restore replaces the databases a verified dump holds, or leaves the
// server as it was. It first writes a verified safety copy of those of the
// dump's databases the server has, then drops the dump's databases and
// loads the dump. On any failure (a statement the server refuses, the
// connection or the pod lost, Ctrl-C) it drops them again and loads the
// safety copy, in a context of its own, and says what happened.
func Restore(ctx context.Context, c *kube.Clients, d *Dump, o RestoreOptions) (*RestoreResult, error) {
	db, err := openDatabase(ctx, c, o.Namespace)
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return plan(ctx, db, d)
	}
	safety, err := takeSafetyCopy(ctx, c, db, d, o)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "restoring %s into %s in namespace %s ...\n", d.Path, stack.MySQLPod, o.Namespace)
	if err := load(ctx, db, d); err != nil {
		return nil, rollBack(c, d, safety, o, err)
	}
	counts, err := counts(ctx, db, d.Databases)
	if err != nil {
		return nil, fmt.Errorf("the restore succeeded but %w; the safety copy stays in %s", err, safety.Path)
	}
	res := &RestoreResult{Databases: counts}
	if o.KeepSafetyCopy {
		res.SafetyCopy = safety.Path
	} else if err := safety.remove(); err != nil {
		fmt.Fprintf(o.Progress, "warning: the restore succeeded, but its safety copy could not be removed: %v\n", err)
	}
	return res, nil
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
// holds afterwards, and loads the dump into the mysql client: in the pod
// when it could be copied there (copyIntoPod), else streamed from here.
func load(ctx context.Context, db *database, d *Dump) error {
	f, err := os.Open(d.Path)
	if err != nil {
		return localError("open", err)
	}
	defer f.Close()
	inPod, err := copyIntoPod(ctx, db, d, f)
	if err != nil {
		return err
	}
	if err := db.run(ctx, queryScript, strings.NewReader(dropDatabases(d.Databases)), io.Discard); err != nil {
		return err
	}
	if inPod {
		return feed(ctx, db, podRestoreScript, nil)
	}
	dump, err := d.Compression.decompressor(f)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Path, err)
	}
	defer dump.Close()
	return feed(ctx, db, restoreScript, io.MultiReader(dump, strings.NewReader(doneQuery)))
}

// doneQuery follows every dump a restore loads: the client printing
// doneMark proves it ran the dump to its end.
const doneQuery = "\nSELECT '" + doneMark + "';\n"

// feed runs a restore script, its stdin (if any) a dump that ends in
// doneQuery, and checks the client ran it to its end.
func feed(ctx context.Context, db *database, script string, stdin io.Reader) error {
	stdout := &tail{max: 4096}
	if err := db.run(ctx, script, stdin, stdout); err != nil {
		return err
	}
	if !strings.Contains(stdout.String(), doneMark) {
		return &StreamError{Err: fmt.Errorf("the mysql client ended before the end of the dump")}
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
