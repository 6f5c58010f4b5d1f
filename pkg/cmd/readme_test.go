package cmd

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-stack/kubectl-stack/pkg/front"
)

// readmeTable returns the rows of the README table between the markers,
// header and separator left out, each as its trimmed cells.
func readmeTable(t *testing.T, marker string) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- "+marker+":begin -->")
	body, _, ok2 := strings.Cut(rest, "<!-- "+marker+":end -->")
	if !ok || !ok2 {
		t.Fatalf("README has no %s table between its markers", marker)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(body), "\n")[2:] {
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.Trim(strings.TrimSpace(c), "`"))
		}
		rows = append(rows, cells)
	}
	return rows
}

// formatFamily groups kubectl's -o names as the README names them.
func formatFamily(format string) string {
	switch {
	case strings.HasPrefix(format, "jsonpath"):
		return "jsonpath"
	case strings.Contains(format, "template"):
		return "go-template"
	}
	return format
}

// The README's verb table says what each verb's --help and flags say.
func TestREADMEVerbTable(t *testing.T) {
	root := NewCmdStack(genericiooptions.NewTestIOStreamsDiscard())
	rows := readmeTable(t, "verbs")
	var verbs []string
	for _, row := range rows {
		verb, formats, tableFlags, dryRun, codes := row[0], row[1], row[2], row[3], row[4]
		verbs = append(verbs, verb)
		cmd, _, err := root.Find(strings.Fields(verb))
		if err != nil || cmd == root {
			t.Errorf("README lists %s, which is not a verb", verb)
			continue
		}
		if got := outputFamilies(cmd); got != formats {
			t.Errorf("%s -o: README says %q, the flag takes %q", verb, formats, got)
		}
		if got := present(cmd, "no-headers", "show-labels"); got != tableFlags {
			t.Errorf("%s table flags: README says %q, the verb has %q", verb, tableFlags, got)
		}
		if got := dryRunValues(cmd); got != dryRun {
			t.Errorf("%s --dry-run: README says %q, the verb has %q", verb, dryRun, got)
		}
		if got := exitStatuses(help(t, strings.Fields(verb)...)); got != codes {
			t.Errorf("%s exit statuses: README says %q, --help says %q", verb, codes, got)
		}
	}
	var check func(cmd *cobra.Command)
	check = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if sub.Hidden || sub.Name() == "completion" || sub.Name() == "help" {
				continue // cobra's own, the same in every program
			}
			name := strings.TrimPrefix(sub.CommandPath(), root.CommandPath()+" ")
			if sub.Runnable() && !slices.Contains(verbs, name) {
				t.Errorf("verb %s is missing from the README's table", name)
			}
			check(sub)
		}
	}
	check(root)
}

func outputFamilies(cmd *cobra.Command) string {
	flag := cmd.Flags().Lookup("output")
	if flag == nil || !strings.Contains(flag.Usage, "one of: ") {
		// No -o, or an -o that names a file (report).
		return "-"
	}
	_, list, _ := strings.Cut(flag.Usage, "one of: ")
	list, _, _ = strings.Cut(list, " (")
	var out []string
	for _, f := range strings.Split(list, ", ") {
		if fam := formatFamily(f); !slices.Contains(out, fam) {
			out = append(out, fam)
		}
	}
	return strings.Join(out, ", ")
}

func present(cmd *cobra.Command, flags ...string) string {
	var out []string
	for _, f := range flags {
		if cmd.Flags().Lookup(f) != nil {
			out = append(out, "--"+f)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

func dryRunValues(cmd *cobra.Command) string {
	if cmd.Flags().Lookup("dry-run") == nil {
		return "-"
	}
	if err := validateDryRun("server"); err != nil {
		return "none"
	}
	return "server"
}

// help runs `kubectl stack VERB --help` as a user would.
func help(t *testing.T, verb ...string) string {
	t.Helper()
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	cmd := NewCmdStack(streams)
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	cmd.SetArgs(append(verb, "--help"))
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%s --help: %v", verb, err)
	}
	return buf.String() + out.String()
}

var exitStatus = regexp.MustCompile(`(?:^|[\s,:])([0-3]) [a-z(]`)

// exitStatuses lists the statuses the help's "Exit status" sentence names.
func exitStatuses(help string) string {
	_, sentence, ok := strings.Cut(help, "Exit status")
	if !ok {
		return "none in --help"
	}
	sentence, _, _ = strings.Cut(sentence, "\n\n")
	var codes []string
	for _, m := range exitStatus.FindAllStringSubmatch(sentence, -1) {
		if !slices.Contains(codes, m[1]) {
			codes = append(codes, m[1])
		}
	}
	slices.Sort(codes)
	return strings.Join(codes, " ")
}

// The README's exit-status table is the one in exit.go.
func TestREADMEExitCodes(t *testing.T) {
	var got []string
	for _, row := range readmeTable(t, "exit-codes") {
		got = append(got, row[0])
	}
	want := []string{"0", "1", "2", "3"}
	if !slices.Equal(got, want) || ExitOK != 0 || ExitFailure != 1 || ExitUsage != 2 || ExitNotDeployed != 3 {
		t.Fatalf("README exit statuses %v; exit.go has %d %d %d %d", got, ExitOK, ExitFailure, ExitUsage, ExitNotDeployed)
	}
	if front.ExitOK != ExitOK || front.ExitFailure != ExitFailure {
		t.Fatalf("package front exits %d and %d, exit.go %d and %d", front.ExitOK, front.ExitFailure, ExitOK, ExitFailure)
	}
}

// documentKinds reads the const block of kinds.go: every documentKind.
func documentKinds(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "kinds.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "documentKind" {
				kinds = append(kinds, strings.Trim(v.Values[0].(*ast.BasicLit).Value, `"`))
			}
		}
	}
	return kinds
}

// The README lists every kind -o prints, and only those: the const block
// of kinds.go.
func TestREADMEKinds(t *testing.T) {
	var listed []string
	for _, row := range readmeTable(t, "kinds") {
		listed = append(listed, row[0])
	}
	slices.Sort(listed)
	want := documentKinds(t)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("README's kinds %v; kinds.go has %v", listed, want)
	}
}

// Every output is built with a kind of the const block, never a string of
// its own: a verb's kind cannot go missing from the README's list.
func TestOutputsUseTheKinds(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		ast.Inspect(p, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			key, isIdent := kv.Key.(*ast.Ident)
			if _, lit := kv.Value.(*ast.BasicLit); isIdent && key.Name == "kind" && lit {
				t.Errorf("%s: an output's kind written as a string; add it to kinds.go", fset.Position(kv.Pos()))
			}
			return true
		})
	}
}
