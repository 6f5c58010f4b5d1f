package steps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func names(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return out
}

// A scope picks its steps by their field, in order; no scope, every step.
func TestSelectByScope(t *testing.T) {
	all := []Step{{Name: "a", Scopes: []string{Demo}}, {Name: "b"}, {Name: "c", Scopes: []string{"x", Demo}}}
	for scope, want := range map[string][]string{"": {"a", "b", "c"}, "all": {"a", "b", "c"}, Demo: {"a", "c"}, "x": {"c"}, "none": nil} {
		if got := names(Select(all, scope)); !slices.Equal(got, want) {
			t.Errorf("scope %q: %v, want %v", scope, got, want)
		}
	}
}

// Each step's time goes to the file TimesEnv names, one line each.
func TestRunRecordsEachStepsTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "times")
	t.Setenv(TimesEnv, path)
	t.Setenv(ScopeEnv, "")
	Run(t, []Step{{Name: "first", Fn: func(*testing.T) {}}, {Name: "second", Fn: func(*testing.T) {}}})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "\tTestRunRecordsEachStepsTime\tfirst") || !strings.HasSuffix(lines[1], "\tsecond") {
		t.Errorf("times file:\n%s", data)
	}
}
