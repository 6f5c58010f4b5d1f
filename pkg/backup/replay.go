package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Replay is the second half of a point-in-time restore: binary log files,
// in order, applied whole after the dump was loaded; they hold only the
// transactions to apply.
type Replay struct {
	Files []string
}

// podBinlogDir holds the binary logs a replay reads, in the pod's /tmp.
const podBinlogDir = "/tmp/.kubectl-stack-binlogs"

// empty says there is nothing to apply.
func (r *Replay) empty() bool { return r == nil || len(r.Files) == 0 }

// copyBinlogs copies the replay's files into the pod, size-checked, when
// the pod's /tmp has room for them.
func copyBinlogs(ctx context.Context, db *database, r *Replay) error {
	var total int64
	for _, f := range r.Files {
		info, err := os.Stat(f)
		if err != nil {
			return localError("stat", err)
		}
		total += info.Size()
	}
	room, err := podRoom(ctx, db)
	if err != nil {
		return err
	}
	if room < total+podSpareBytes {
		return fmt.Errorf("the pod's /tmp has %d MiB free, the binary logs to replay take %d MiB and the server needs 256 MiB beside them", room>>20, total>>20)
	}
	for _, path := range r.Files {
		f, err := os.Open(path)
		if err != nil {
			return localError("open", err)
		}
		info, _ := f.Stat()
		err = db.run(ctx, copyToScript(podBinlogDir+"/"+filepath.Base(path), info.Size()), f, io.Discard)
		f.Close()
		if err != nil {
			return fmt.Errorf("copying %s into the pod: %w", filepath.Base(path), err)
		}
	}
	return nil
}

// sourceGTIDs matches the lines of MariaDB's mysqlbinlog that give a
// transaction the GTID it had on the server that wrote it. The replay
// leaves them out, and the server gives what it applies its own, as it
// gave the dump's load: a Galera member (wsrep_gtid_mode) refuses a
// session's server_id other than the cluster's, and a single server
// would write the old numbers, out of order, into its binary logs.
const sourceGTIDs = `\#^/\*M!100001 SET @@session\.(server_id|gtid_domain_id|gtid_seq_no)=[0-9]+\*//\*!\*/;$#d`

// replayScript applies the copied binary logs with the server's own
// mysqlbinlog, then selects doneMark; it removes the copies. A mysqlbinlog
// that fails makes the script fail with its message (a pipe in sh keeps
// only the client's status).
func replayScript(r *Replay) string {
	names := make([]string, len(r.Files))
	for i, f := range r.Files {
		names[i] = filepath.Base(f)
	}
	return credentials + `trap 'rm -f "$cnf"; rm -rf ` + podBinlogDir + `' EXIT
cd ` + podBinlogDir + `
bl=$(command -v mariadb-binlog || command -v mysqlbinlog) || { echo "the database image has no mysqlbinlog" >&2; exit 1; }
{ "$bl" ` + shellWords(names) + ` || echo $? > failed; [ -s failed ] || printf '%s' ` + shellWords([]string{doneQuery}) + `; } | sed -E ` + shellWords([]string{sourceGTIDs}) + ` | mysql --defaults-extra-file="$cnf" --batch &
` + awaitClient + `if [ -s failed ]; then echo "mysqlbinlog failed with exit status $(cat failed)" >&2; exit 1; fi
exit $rc
`
}

// replay applies the copied binary logs.
func replay(ctx context.Context, db *database, r *Replay) error {
	if err := feed(ctx, db, replayScript(r), nil); err != nil {
		return fmt.Errorf("replaying the binary logs: %w", err)
	}
	return nil
}

// discardBinlogs removes the copies of a replay that will not run.
func discardBinlogs(db *database, rollbackContext func() (context.Context, context.CancelFunc)) {
	ctx, cancel := rollbackContext()
	defer cancel()
	_ = db.run(ctx, "rm -rf "+podBinlogDir, nil, io.Discard)
}

// existingCounts counts the rows of those of the databases the server has.
func existingCounts(ctx context.Context, db *database, names []string) ([]Count, error) {
	existing, err := existingDatabases(ctx, db, names)
	if err != nil {
		return nil, err
	}
	return counts(ctx, db, existing)
}
