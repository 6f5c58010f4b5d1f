package steps

import (
	"slices"
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
