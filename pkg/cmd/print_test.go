package cmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/status"
)

func sampleReport() *status.Report {
	return &status.Report{Namespace: "k8s-assignment", Healthy: true, Members: 3, Rows: []status.Row{
		{Component: "web", Pod: "web-1", PodIP: "10.244.0.5", ServingHost: "web-1", Ready: true, Status: "Running",
			Created: time.Now(), Labels: map[string]string{"app.kubernetes.io/name": "web"}, Flags: []string{"slow"}},
		{Component: "database", Pod: "mysql-0", PodIP: "10.244.0.6", Ready: true, Status: "Running", Created: time.Now()},
	}}
}

// printAs parses the flags as the command line would and prints the report.
func printAs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := &cobra.Command{}
	p := newPrintFlags(true)
	p.addFlags(cmd, tableFlags{wide: true, noHeaders: true, showLabels: true})
	if err := cmd.ParseFlags(args); err != nil {
		return "", err
	}
	if err := p.complete(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err := p.print(&buf, reportOutput(sampleReport()))
	return buf.String(), err
}

func TestPrintFormats(t *testing.T) {
	cases := []struct {
		args []string
		want []string
		not  []string
	}{
		{nil, []string{"COMPONENT", "web-1", "10.244.0.5", "stack:     healthy"}, []string{"FLAGS", "LABELS"}},
		{[]string{"-o", "wide"}, []string{"FLAGS", "slow"}, nil},
		{[]string{"--no-headers"}, []string{"web-1"}, []string{"COMPONENT", "stack:"}},
		{[]string{"--show-labels"}, []string{"LABELS", "app.kubernetes.io/name=web"}, nil},
		{[]string{"-o", "name"}, []string{"pod/web-1\npod/mysql-0\n"}, nil},
		{[]string{"-o", "jsonpath={.pods[*].podIP}"}, []string{"10.244.0.5 10.244.0.6"}, nil},
		{[]string{"-o", "go-template={{.kind}} {{.namespace}}"}, []string{"StackStatus k8s-assignment"}, nil},
	}
	for _, c := range cases {
		out, err := printAs(t, c.args...)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, out)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("%v: output has %q:\n%s", c.args, n, out)
			}
		}
	}
}

// -o json and yaml print the report with apiVersion and kind, and the
// report reads back.
func TestPrintDocuments(t *testing.T) {
	for _, format := range []string{"json", "yaml"} {
		out, err := printAs(t, "-o", format)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			status.Report
		}
		if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("-o %s: %v\n%s", format, err, out)
		}
		if doc.APIVersion != resultAPIVersion || doc.Kind != "StackStatus" || len(doc.Rows) != 2 || doc.Rows[0].PodIP != "10.244.0.5" {
			t.Errorf("-o %s: %+v", format, doc)
		}
	}
}

// A slice becomes a List whose items carry the kind.
func TestDocumentOfASliceIsAList(t *testing.T) {
	obj, err := document("NetworkCheck", []map[string]string{{"check": "a"}, {"check": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(obj)
	for _, w := range []string{`"kind":"NetworkCheckList"`, `"check":"a"`, `"kind":"NetworkCheck"`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("%s lacks %s", data, w)
		}
	}
}

// A format the verb lacks, or a template that does not parse, is a usage
// error (exit 2) that names what would work.
func TestPrintRefusesAsUsage(t *testing.T) {
	for _, args := range [][]string{{"-o", "xml"}, {"-o", "jsonpath={.pods[}"}, {"-o", "go-template={{.x"}} {
		_, err := printAs(t, args...)
		if ExitCode(err) != ExitUsage {
			t.Errorf("%v: exit %d (%v), want %d", args, ExitCode(err), err, ExitUsage)
		}
	}
	_, err := printAs(t, "-o", "xml")
	if err == nil || !strings.Contains(err.Error(), "use one of json, yaml") {
		t.Errorf("-o xml: %v", err)
	}
	cmd := &cobra.Command{}
	p := newPrintFlags(false)
	p.addFlags(cmd, tableFlags{})
	_ = cmd.ParseFlags([]string{"-o", "wide"})
	if err := p.complete(); ExitCode(err) != ExitUsage {
		t.Errorf("-o wide on a verb without a table: %v", err)
	}
}
