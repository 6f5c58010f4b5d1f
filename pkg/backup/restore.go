package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Count is one database after a restore.
type Count struct {
	Database string `json:"database"`
	Tables   int    `json:"tables"`
	Rows     int64  `json:"rows"`
}

// Restore streams a verified dump into the mysql client in the database pod
// and then counts the tables and rows of each database it holds. The
// server's own error, if any, is returned as it said it.
func Restore(ctx context.Context, c *kube.Clients, ns string, d *Dump, progress io.Writer) ([]Count, error) {
	if err := readyDatabase(ctx, c, ns); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "restoring %s into %s in namespace %s ...\n", d.Path, stack.MySQLPod, ns)
	f, err := os.Open(d.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var in io.Reader = f
	if d.Gzip {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		in = gz
	}
	if err := run(ctx, c, ns, restoreScript, in, io.Discard); err != nil {
		return nil, fmt.Errorf("the server refused the dump: %w", err)
	}
	return counts(ctx, c, ns, d.Databases)
}

// counts counts exactly (COUNT(*), not the estimate of
// information_schema) the rows of every table of the databases.
func counts(ctx context.Context, c *kube.Clients, ns string, dbs []string) ([]Count, error) {
	out := make([]Count, len(dbs))
	index := map[string]int{}
	for i, db := range dbs {
		out[i].Database = db
		index[db] = i
	}
	if len(dbs) == 0 {
		return out, nil
	}
	tables, err := query(ctx, c, ns, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema IN ("+sqlStrings(dbs)+")")
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
	rows, err := query(ctx, c, ns, strings.Join(parts, " UNION ALL "))
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
func query(ctx context.Context, c *kube.Clients, ns, statement string) ([][]string, error) {
	var buf bytes.Buffer
	if err := run(ctx, c, ns, queryScript, strings.NewReader(statement+";\n"), &buf); err != nil {
		return nil, fmt.Errorf("counting rows: %w", err)
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
