// Package steps runs a test as a sequence of named steps, the way the
// integration and end-to-end suites walk through the stack's lifecycle.
package steps

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// Step is one named part of a sequential test. Scopes are the smaller runs
// it belongs to besides the whole suite.
type Step struct {
	Name   string
	Fn     func(*testing.T)
	Scopes []string
}

// ScopeEnv names the scope a run is limited to; empty or "all" runs every
// step.
const ScopeEnv = "KUBECTL_STACK_E2E_SCOPE"

// Demo is the scope of what `make demo` promises: the dev overlay applied
// and answering (hack/kind/test.sh demo runs it on kind).
const Demo = "demo"

// Select returns the steps of scope, in order; every step for "" and "all".
func Select(steps []Step, scope string) []Step {
	if scope == "" || scope == "all" {
		return steps
	}
	var out []Step
	for _, s := range steps {
		if slices.Contains(s.Scopes, scope) {
			out = append(out, s)
		}
	}
	return out
}

// Run runs the steps of $KUBECTL_STACK_E2E_SCOPE in order as subtests and
// stops at the first failure: each step builds on the state the ones
// before it left. A scope that selects no step fails, so a run never
// passes by testing nothing.
func Run(t *testing.T, steps []Step) {
	t.Helper()
	scope := os.Getenv(ScopeEnv)
	selected := Select(steps, scope)
	if len(selected) == 0 {
		t.Fatalf("%s=%s selects none of the %d steps of %s", ScopeEnv, scope, len(steps), t.Name())
	}
	for _, s := range selected {
		start := time.Now()
		ok := t.Run(s.Name, s.Fn)
		record(t, s.Name, time.Since(start))
		if !ok {
			t.Fatalf("step %q failed; later steps depend on it", s.Name)
		}
	}
}

// TimesEnv names a file each step's time is appended to, a line each:
// seconds, the test, the step. hack/test.sh prints the slowest.
const TimesEnv = "KUBECTL_STACK_STEP_TIMES"

func record(t *testing.T, step string, took time.Duration) {
	path := os.Getenv(TimesEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = fmt.Fprintf(f, "%.1f\t%s\t%s\n", took.Seconds(), t.Name(), step)
		err = cmp.Or(err, f.Close())
	}
	if err != nil {
		t.Errorf("%s: %v", TimesEnv, err)
	}
}
