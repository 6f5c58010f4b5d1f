package binlog

import (
	"regexp"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
)

// scope is the databases a restore puts back. The replay applies only the
// transactions that change them: the server's other databases and its
// accounts were never rolled back, so replaying their changes would
// apply them twice (a CREATE USER fails, a row is inserted again).
type scope struct {
	names map[string]bool
	// named matches a statement that names one of the databases: as a
	// table's qualifier or as the object of CREATE/DROP/ALTER DATABASE.
	named *regexp.Regexp
}

// accountStatement matches the statements that change accounts and
// privileges, which a dump of databases does not hold.
var accountStatement = regexp.MustCompile(`(?is)^(\s|/\*.*?\*/)*((CREATE|ALTER|DROP|RENAME)\s+(USER|ROLE)|GRANT|REVOKE|SET\s+(PASSWORD|DEFAULT\s+ROLE)|FLUSH)\b`)

func newScope(databases []string) *scope {
	s := &scope{names: map[string]bool{}}
	if len(databases) == 0 {
		return s // names nothing: an empty alternation would match any "."
	}
	quoted := make([]string, len(databases))
	for i, d := range databases {
		s.names[d] = true
		quoted[i] = regexp.QuoteMeta(d)
	}
	names := "`?(" + strings.Join(quoted, "|") + ")`?"
	s.named = regexp.MustCompile(`(?i)(^|[^\w$])` + names + `\s*\.|(DATABASE|SCHEMA)\s+(IF\s+(NOT\s+)?EXISTS\s+)?` + names + `(\s|;|$)`)
	return s
}

// verdict is what one event says of its transaction.
type verdict int

// A transaction takes the greatest verdict of its events: one that
// changes a restored database is replayed, less its row changes of other
// databases' tables; a statement is replayed as it was written.
const (
	neutral    verdict = iota // says nothing: BEGIN, rows, commit
	outOfScope                // changes something else
	inScope                   // changes a restored database
)

func (s *scope) judge(ev *replication.BinlogEvent) verdict {
	switch e := ev.Event.(type) {
	case *replication.TableMapEvent:
		return s.of(s.names[string(e.Schema)])
	case *replication.QueryEvent:
		q := string(e.Query)
		switch {
		case q == "BEGIN" || q == "COMMIT" || q == "ROLLBACK":
			return neutral
		case accountStatement.MatchString(q):
			return outOfScope
		}
		return s.of(s.names[string(e.Schema)] || s.named != nil && s.named.MatchString(q))
	}
	return neutral
}

func (s *scope) of(in bool) verdict {
	if in {
		return inScope
	}
	return outOfScope
}

// opensTransaction says the event is part of a transaction (or a
// statement), not one of a file's own notes (its format, the GTIDs
// before it, a rotate or stop), which a replay needs none of but the
// format description.
func opensTransaction(t replication.EventType) bool {
	switch t {
	case replication.FORMAT_DESCRIPTION_EVENT, replication.ROTATE_EVENT, replication.STOP_EVENT,
		replication.PREVIOUS_GTIDS_EVENT, replication.MARIADB_GTID_LIST_EVENT,
		replication.MARIADB_BINLOG_CHECKPOINT_EVENT, replication.HEARTBEAT_EVENT,
		replication.HEARTBEAT_LOG_EVENT_V2, replication.MARIADB_START_ENCRYPTION_EVENT:
		return false
	}
	return true
}
