package backup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// userDatabases lists the server's own databases, or checks that the
// named ones exist.
func userDatabases(ctx context.Context, db *database, named []string) ([]string, error) {
	where := "schema_name NOT IN (" + sqlStrings(systemSchemas) + ")"
	if len(named) > 0 {
		where = "schema_name IN (" + sqlStrings(named) + ")"
	}
	rows, err := query(ctx, db, "SELECT schema_name FROM information_schema.schemata WHERE "+where+" ORDER BY schema_name")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range rows {
		names = append(names, r[0])
	}
	if len(names) == 0 {
		return nil, errors.New("the server holds no user database to back up")
	}
	if len(named) > 0 && len(names) < len(named) {
		return nil, fmt.Errorf("the server has only %s of %s", strings.Join(names, ", "), strings.Join(named, ", "))
	}
	return names, nil
}

// snapshot reads, in one consistent snapshot, every table's exact row
// count and CHECKSUM TABLE, and the server's version. It runs beside the
// dump, whose own transaction begins at about the same moment: on a
// database written to meanwhile the two can differ, which verify reports.
func snapshot(ctx context.Context, db *database, names []string) ([]Database, Server, error) {
	tables, err := query(ctx, db, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema IN ("+sqlStrings(names)+") ORDER BY table_schema, table_name")
	if err != nil {
		return nil, Server{}, err
	}
	sql := "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSTART TRANSACTION WITH CONSISTENT SNAPSHOT;\n"
	var qualified []string
	for _, t := range tables {
		name := ident(t[0]) + "." + ident(t[1])
		qualified = append(qualified, name)
		sql += fmt.Sprintf("SELECT 'rows', COUNT(*) FROM %s;\n", name)
	}
	if len(qualified) > 0 {
		sql += "CHECKSUM TABLE " + strings.Join(qualified, ", ") + ";\n"
	}
	sql += "COMMIT;\nSELECT 'server', VERSION(), @@version_comment"
	rows, err := query(ctx, db, sql)
	if err != nil {
		return nil, Server{}, err
	}
	dbs, server, err := parseSnapshot(names, tables, rows)
	server.Pod = db.pod
	return dbs, server, err
}

// parseSnapshot reads snapshot's output: a 'rows' line per table, then
// CHECKSUM TABLE's lines in the same order, then the server's line.
func parseSnapshot(names []string, tables, rows [][]string) ([]Database, Server, error) {
	var counts, sums []string
	var server Server
	for _, r := range rows {
		switch {
		case len(r) == 2 && r[0] == "rows":
			counts = append(counts, r[1])
		case len(r) == 3 && r[0] == "server":
			server = Server{Version: r[1], Flavour: flavour(r[1], r[2])}
		case len(r) == 2:
			sums = append(sums, r[1])
		}
	}
	if len(counts) != len(tables) || len(sums) != len(tables) || server.Version == "" {
		return nil, server, fmt.Errorf("reading the tables' row counts and checksums: %d tables, %d counts, %d checksums", len(tables), len(counts), len(sums))
	}
	index := map[string]int{}
	out := make([]Database, len(names))
	for i, n := range names {
		out[i] = Database{Name: n, Tables: []Table{}}
		index[n] = i
	}
	for i, t := range tables {
		n, err := strconv.ParseInt(counts[i], 10, 64)
		if err != nil {
			return nil, server, fmt.Errorf("row count of %s.%s: %q", t[0], t[1], counts[i])
		}
		d := &out[index[t[0]]]
		d.Tables = append(d.Tables, Table{Name: t[1], Rows: n, Checksum: sums[i]})
	}
	return out, server, nil
}

func flavour(version, comment string) string {
	if strings.Contains(version+comment, "MariaDB") {
		return "MariaDB"
	}
	return "MySQL"
}
