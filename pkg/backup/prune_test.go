package backup

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// entries makes complete backups at the given times ("2006-01-02 15:04"),
// oldest first; a "!" suffix marks one verified.
func entries(t *testing.T, times ...string) []Entry {
	t.Helper()
	var out []Entry
	for _, s := range times {
		verified := strings.HasSuffix(s, "!")
		at, err := time.Parse("2006-01-02 15:04", strings.TrimSuffix(s, "!"))
		if err != nil {
			t.Fatal(err)
		}
		e := Entry{ID: at.Format(idFormat), Manifest: &Manifest{Started: at}}
		if verified {
			e.Verdict = &Verdict{Passed: true}
		}
		out = append(out, e)
	}
	return out
}

func ids(t *testing.T, times ...string) []string {
	var out []string
	for _, e := range entries(t, times...) {
		out = append(out, e.ID)
	}
	return out
}

func TestPruneKeeps(t *testing.T) {
	week := []string{"2026-11-16 02:00", "2026-11-17 02:00", "2026-11-18 02:00", "2026-11-18 14:00", "2026-11-23 02:00", "2026-11-24 02:00"}
	for name, tc := range map[string]struct {
		r     Retention
		times []string
		keep  []string
	}{
		"last 2":            {Retention{Last: 2}, week, ids(t, "2026-11-23 02:00", "2026-11-24 02:00")},
		"daily 3":           {Retention{Daily: 3}, week, ids(t, "2026-11-18 14:00", "2026-11-23 02:00", "2026-11-24 02:00")},
		"weekly 2":          {Retention{Weekly: 2}, week, ids(t, "2026-11-18 14:00", "2026-11-24 02:00")},
		"last 1 + weekly 2": {Retention{Last: 1, Weekly: 2}, week, ids(t, "2026-11-18 14:00", "2026-11-24 02:00")},
		"only verified kept": {Retention{Last: 1}, []string{"2026-11-16 02:00!", "2026-11-17 02:00", "2026-11-18 02:00"},
			ids(t, "2026-11-16 02:00", "2026-11-18 02:00")},
		"newest verified kept": {Retention{Last: 1}, []string{"2026-11-16 02:00!", "2026-11-17 02:00!", "2026-11-18 02:00"},
			ids(t, "2026-11-17 02:00", "2026-11-18 02:00")},
		"verified within":  {Retention{Last: 2}, []string{"2026-11-16 02:00!", "2026-11-17 02:00!", "2026-11-18 02:00"}, ids(t, "2026-11-17 02:00", "2026-11-18 02:00")},
		"more than exists": {Retention{Last: 10}, week, ids(t, week...)},
	} {
		cat := &Catalog{Backups: entries(t, tc.times...)}
		p := PlanPrune(cat, tc.r, time.Now())
		if !slices.Equal(p.Keep, tc.keep) {
			t.Errorf("%s: keeps %v, want %v", name, p.Keep, tc.keep)
		}
		if len(p.Keep)+len(p.Delete) != len(tc.times) {
			t.Errorf("%s: keeps %v and deletes %v of %d", name, p.Keep, p.Delete, len(tc.times))
		}
	}
}

func TestPruneDebris(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cat := &Catalog{Backups: append(entries(t, "2026-11-23 02:00"),
		Entry{ID: "20261124T020000.000Z", Problem: noManifest, Modified: now.Add(-2 * time.Hour)},
		Entry{ID: "20261124T115900.000Z", Problem: noManifest, Modified: now.Add(-time.Minute)},
		Entry{ID: "20261124T115930.000Z", Problem: (&NewerFormatError{ID: "x", Format: 9}).Error(), Modified: now.Add(-2 * time.Hour)},
	)}
	p := PlanPrune(cat, Retention{Last: 1}, now.Add(-time.Hour))
	if !slices.Equal(p.Debris, []string{"20261124T020000.000Z"}) || len(p.Delete) != 0 {
		t.Errorf("debris %v, delete %v: want only the old backup without a manifest", p.Debris, p.Delete)
	}
}

func TestRetentionRefusesKeepingNothing(t *testing.T) {
	for _, r := range []Retention{{}, {Last: -1}, {Daily: -2, Last: 3}} {
		if err := r.Validate(); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
	if err := (Retention{Weekly: 1}).Validate(); err != nil {
		t.Error(err)
	}
}
