package netcheck

import (
	"errors"
	"strings"
	"testing"
)

func TestClassifyReadsNetcatAndDialErrors(t *testing.T) {
	for out, want := range map[string]string{
		"nc exit 0\n": "connected",
		"nc: can't connect to remote host (10.244.0.15): Connection refused\n": "refused",
		"nc: timed out\n":                                       "timed out",
		"dial tcp 192.0.2.2:30080: i/o timeout":                 "timed out",
		"dial tcp 192.0.2.2:30080: connect: connection refused": "refused",
		"sh: nc: not found\n":                                   "failed: sh: nc: not found",
	} {
		if got := classify(out, errors.New("exit 1")).Result; got != want {
			t.Errorf("classify(%q) = %q, want %q", out, got, want)
		}
	}
}

// A refusal proves a rejection only where another probe connected.
func TestRefusalsResolveWhereThePortListens(t *testing.T) {
	checks := []Check{
		{Name: "web -> mysql:3306", Live: &Probe{Result: "connected", Target: "10.0.0.20:3306"}},
		{Name: "other -> mysql:3306", Live: &Probe{Result: "refused", Target: "10.0.0.20:3306"}},
		{Name: "web -> mysql:3307", Live: &Probe{Result: "refused", Target: "10.0.0.20:3307"}},
	}
	resolveRefusals(checks)
	if got := checks[1].Live.Result; got != "rejected" {
		t.Errorf("refusal on a listening port: %q, want rejected", got)
	}
	if !checks[2].Live.Inconclusive() {
		t.Errorf("refusal on a port nobody reached: %q, want it left inconclusive", checks[2].Live.Result)
	}
}

// Only a denied connection that went through counts: a refusal, a skipped
// probe or an allowed connection says nothing about enforcement.
func TestUnenforcedCountsDeniedConnectionsThatWentThrough(t *testing.T) {
	checks := []Check{
		{Name: "denied, connected", Live: &Probe{Result: "connected"}},
		{Name: "denied, rejected", Live: &Probe{Result: "rejected"}},
		{Name: "denied, not probed", Live: &Probe{Skipped: "adopted"}},
		{Name: "allowed, connected", Verdict: Verdict{Allowed: true}, Live: &Probe{Result: "connected"}},
		{Name: "denied, static only"},
	}
	if got := Unenforced(checks); got != 1 {
		t.Fatalf("Unenforced = %d, want 1", got)
	}
	if hint := UnenforcedHint(1); !strings.Contains(hint, "does not enforce NetworkPolicies") {
		t.Fatalf("hint %q", hint)
	}
}

// The probe's stdin closes once, when netcat's exit status line is whole,
// whichever stream it comes on.
func TestResultWriterClosesOnceTheStatusLineIsWhole(t *testing.T) {
	closed := 0
	w := &resultWriter{mark: ncExit, done: func() { closed++ }}
	for _, part := range []string{"Connection refused\n", "nc exit ", "1"} {
		w.Write([]byte(part))
	}
	if closed != 0 || w.complete() {
		t.Fatalf("closed %d times before the status line ended", closed)
	}
	w.Write([]byte("\n"))
	w.Write([]byte("more\n"))
	if closed != 1 || !w.complete() || classify(w.String(), nil).Result != "refused" {
		t.Fatalf("closed %d times, complete %v, result %q", closed, w.complete(), classify(w.String(), nil).Result)
	}
}
