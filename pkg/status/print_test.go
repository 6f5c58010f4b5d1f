package status

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

func sampleReport() *Report {
	return &Report{
		Namespace: "k8s-assignment",
		Rows: []Row{
			{Component: "web", Pod: "web-1", Node: "n", PodIP: "10.0.0.1", ServingHost: "web-1", Ready: true, Status: "Running", Created: time.Now()},
			{Component: "web", Pod: "web-2", Node: "n", PodIP: "10.0.0.2", Status: "Running", Created: time.Now(), Flags: []string{"unreachable"}},
		},
		Members:  -1,
		Warnings: []string{"web: 1 of 2 pods ready"},
	}
}

func TestPrintColoursOnlyWhenAsked(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := sampleReport().Print(&buf, table.Options{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if got := strings.Contains(out, "\x1b["); got != color {
			t.Errorf("Color=%v: escape codes present=%v\n%q", color, got, out)
		}
		if !strings.Contains(out, "stack:     "+paint(table.Options{Color: color}, red, "NOT healthy")) {
			t.Errorf("Color=%v: no unhealthy verdict:\n%s", color, out)
		}
		if !strings.Contains(out, "no ApplySet parent") {
			t.Errorf("a report without ApplySet parent does not say so:\n%s", out)
		}
	}
}

// Colour codes must not shift the columns: the header and every row start
// their POD IP column at the same visible offset.
func TestPrintColouredColumnsAlign(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().Print(&buf, table.Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	strip := strings.NewReplacer(red, "", green, "", yellow, "", reset, "")
	lines := strings.Split(strip.Replace(buf.String()), "\n")
	col := strings.Index(lines[0], "RESTARTS")
	for _, l := range lines[1:3] {
		if len(l) <= col || l[col] != '0' {
			t.Errorf("RESTARTS column at %d is not aligned in %q", col, l)
		}
	}
}

func TestPrintWideShowsFlags(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().Print(&buf, table.Options{Wide: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "FLAGS") || !strings.Contains(buf.String(), "unreachable") {
		t.Errorf("wide output without the flags:\n%s", buf.String())
	}
}
