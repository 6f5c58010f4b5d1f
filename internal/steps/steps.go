// Package steps runs a test as a sequence of named steps, the way the
// integration and end-to-end suites walk through the stack's lifecycle.
package steps

import "testing"

// Step is one named part of a sequential test.
type Step struct {
	Name string
	Fn   func(*testing.T)
}

// Run runs the steps in order as subtests and stops at the first failure:
// each step builds on the state the ones before it left.
func Run(t *testing.T, steps []Step) {
	t.Helper()
	for _, s := range steps {
		if !t.Run(s.Name, s.Fn) {
			t.Fatalf("step %q failed; later steps depend on it", s.Name)
		}
	}
}
