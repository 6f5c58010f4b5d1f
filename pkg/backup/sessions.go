package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A session whose default database is one a restore drops may hold the
// metadata locks of its tables: one idle inside a transaction (a client
// whose exec stream was cut, a dump left writing into a closed pipe) holds
// them until it ends. DROP DATABASE then waits behind it for
// lock_wait_timeout (a day in MariaDB, a year in MySQL), and every query of
// those tables queues behind the DROP: the restore, or the putting back of
// a failed one, hangs with the databases half replaced. The restore
// replaces those databases, so it ends such sessions first, naming each.

// errNoSuchThread is ER_NO_SUCH_THREAD: the session ended by itself before
// the KILL reached it.
const errNoSuchThread = 1094

// usingSessionsQuery lists the client sessions, other than the one asking,
// whose default database is one of databases. The server's own threads
// (MariaDB's "system user", MySQL's event scheduler and replication
// senders) are left alone.
func usingSessionsQuery(databases []string) string {
	return "SELECT id, user, host, db, command, time FROM information_schema.processlist" +
		" WHERE id <> CONNECTION_ID() AND db IN (" + sqlStrings(databases) + ")" +
		" AND command NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Killed')" +
		" AND user NOT IN ('system user', 'event_scheduler')"
}

// endSessions ends the sessions using any of databases and says which on
// progress, before the DDL that would wait for them.
func endSessions(ctx context.Context, db *database, databases []string, progress io.Writer) error {
	if len(databases) == 0 {
		return nil
	}
	rows, err := query(ctx, db, usingSessionsQuery(databases))
	if err != nil {
		return fmt.Errorf("listing the sessions that use %s: %w", strings.Join(databases, ", "), err)
	}
	for _, r := range rows {
		if len(r) != 6 {
			return fmt.Errorf("listing the sessions that use %s: unexpected row %q", strings.Join(databases, ", "), r)
		}
		fmt.Fprintf(progress, "ending session %s (%s@%s, in %s, %s for %s s): it would hold the tables the restore replaces\n",
			r[0], r[1], r[2], r[3], r[4], r[5])
		if err := killSession(ctx, db, r[0]); err != nil {
			return fmt.Errorf("ending session %s: %w", r[0], err)
		}
	}
	return nil
}

func killSession(ctx context.Context, db *database, id string) error {
	if strings.Trim(id, "0123456789") != "" || id == "" {
		return fmt.Errorf("%q is not a session id", id)
	}
	_, err := query(ctx, db, "KILL "+id)
	var se *ServerError
	if errors.As(err, &se) && se.Code == errNoSuchThread {
		return nil
	}
	return err
}
