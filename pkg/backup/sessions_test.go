package backup

import (
	"context"
	"strings"
	"testing"
)

func TestUsingSessionsQueryQuotesTheDatabasesAndSparesItsOwnSession(t *testing.T) {
	q := usingSessionsQuery([]string{"shop", "it's"})
	for _, want := range []string{"db IN ('shop','it''s')", "id <> CONNECTION_ID()", "'Binlog Dump'", "'system user'"} {
		if !strings.Contains(q, want) {
			t.Errorf("query lacks %q:\n%s", want, q)
		}
	}
}

func TestKillSessionRefusesWhatIsNotASessionID(t *testing.T) {
	for _, id := range []string{"", "12; DROP DATABASE shop", "-1"} {
		if err := killSession(context.Background(), nil, id); err == nil || !strings.Contains(err.Error(), "is not a session id") {
			t.Errorf("killSession(%q) = %v, want a refusal", id, err)
		}
	}
}
