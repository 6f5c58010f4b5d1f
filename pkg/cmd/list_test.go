package cmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/stacks"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// A stack without a recorded revision, image or backup shows dashes, not
// zeros or empty cells that shift the columns.
func TestPrintStacks(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	backup := now.Add(-90 * time.Minute)
	found := []*stacks.Stack{
		{Namespace: "k8s-assignment", Source: "overlays/dev (built in)", Revision: 3, Health: stacks.Healthy,
			Database: "mysql:8.4", LastBackup: &backup, Created: now.Add(-49 * time.Hour)},
		{Namespace: "bare", Health: stacks.Degraded, Created: now.Add(-5 * time.Minute)},
	}
	var out bytes.Buffer
	if err := printStacks(&out, found, now, table.Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := [][]string{
		{"NAMESPACE", "SOURCE", "REVISION", "STATUS", "DATABASE", "LAST", "BACKUP", "AGE"},
		{"k8s-assignment", "overlays/dev", "(built", "in)", "3", "healthy", "mysql:8.4", "90m", "ago", "2d1h"},
		{"bare", "-", "-", "degraded", "-", "-", "5m"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d: %q, want %q", i, got, w)
		}
	}
}
