package backup

import (
	"strings"
	"testing"
)

func TestCompareNamesEveryDifference(t *testing.T) {
	want := []Database{{Name: "shop", Tables: []Table{{"orders", 10, "111"}, {"items", 5, "222"}, {"gone", 1, "333"}}}}
	got := []Database{{Name: "shop", Tables: []Table{{"orders", 9, "111"}, {"items", 5, "999"}, {"extra", 0, "0"}}}}
	diffs := strings.Join(compare(want, got), "; ")
	for _, w := range []string{"shop.orders has 9 rows, the manifest says 10", "shop.items has checksum 999", "shop.gone is missing", "shop.extra is not in the manifest"} {
		if !strings.Contains(diffs, w) {
			t.Errorf("%q missing from %q", w, diffs)
		}
	}
	if d := compare(want, want); len(d) != 0 {
		t.Errorf("equal databases differ: %v", d)
	}
}

func TestParseSnapshot(t *testing.T) {
	tables := [][]string{{"app", "a"}, {"app", "b"}}
	rows := [][]string{{"rows", "3"}, {"rows", "0"}, {"app.a", "42"}, {"app.b", "0"}, {"server", "10.11.18-MariaDB-0+deb12u1", "Debian 12"}}
	dbs, server, err := parseSnapshot([]string{"app", "empty"}, tables, rows)
	if err != nil {
		t.Fatal(err)
	}
	if server.Flavour != "MariaDB" || len(dbs) != 2 || dbs[0].Tables[0] != (Table{"a", 3, "42"}) || len(dbs[1].Tables) != 0 {
		t.Errorf("got %+v, %+v", dbs, server)
	}
	if _, _, err := parseSnapshot([]string{"app"}, tables, rows[:3]); err == nil {
		t.Error("a missing checksum was not noticed")
	}
}
