package kubectlstack

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pages are the project's Markdown pages a reader follows links between.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md", "hack/README.md"}, docs...)
}

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile("(?m)^#{1,6} (.+)$")
	fenced  = regexp.MustCompile("(?s)```.*?```")
)

// anchors are the ids GitHub gives a page's headings.
func anchors(t *testing.T, page string) []string {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range heading.FindAllStringSubmatch(fenced.ReplaceAllString(string(data), ""), -1) {
		id := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
				return r
			case r == ' ':
				return '-'
			}
			return -1
		}, strings.ToLower(m[1]))
		out = append(out, id)
	}
	return out
}

// Every link between the pages leads to a file that exists and, with a
// #fragment, to one of its headings.
func TestDocsLinksResolve(t *testing.T) {
	for _, page := range pages(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			file, fragment, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s: %v", page, target, err)
				continue
			}
			if fragment != "" && !slices.Contains(anchors(t, path), fragment) {
				t.Errorf("%s links to %s: %s has no heading #%s", page, target, path, fragment)
			}
		}
	}
}

// The README's documentation table names every page of docs/.
func TestREADMELinksEveryDocsPage(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range pages(t)[2:] {
		if !strings.Contains(string(readme), "]("+page+")") {
			t.Errorf("the README does not link %s", page)
		}
	}
}

// The layout in docs/architecture.md names every folder of the repository
// a newcomer opens (the top level, and pkg/, testrig/, test/ one level
// down), and nothing that is not there.
func TestArchitectureLayoutIsComplete(t *testing.T) {
	data, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(data), "<!-- layout:begin -->")
	layout, _, ok := strings.Cut(rest, "<!-- layout:end -->")
	if !ok {
		t.Fatal("docs/architecture.md has no layout between its markers")
	}
	named := regexp.MustCompile(`(?m)(?:^|, |[\s(])([a-z][a-z0-9-]*(?:/[a-z0-9-]+)*)/`).FindAllStringSubmatch(layout, -1)
	var listed []string
	for _, m := range named {
		listed = append(listed, m[1])
	}
	for _, dir := range trackedFolders(t) {
		if !slices.ContainsFunc(listed, func(l string) bool { return l == dir || strings.HasPrefix(l, dir+"/") }) {
			t.Errorf("docs/architecture.md's layout does not name %s/", dir)
		}
	}
	for _, line := range strings.Split(layout, "\n") {
		first, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.HasSuffix(first, "/") && !strings.Contains(first, ",") {
			if info, err := os.Stat(strings.TrimSuffix(first, ",")); err != nil || !info.IsDir() {
				t.Errorf("docs/architecture.md's layout names %s, which is not a folder", first)
			}
		}
	}
}

// trackedFolders are the folders git tracks files in: the top level, and
// the packages of pkg/, testrig/ and test/.
func trackedFolders(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var dirs []string
	for _, file := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(file, "/")
		dir := ""
		switch {
		case len(parts) < 2 || strings.HasPrefix(parts[0], "."):
			continue
		case slices.Contains([]string{"pkg", "testrig", "test"}, parts[0]) && len(parts) > 2:
			dir = parts[0] + "/" + parts[1]
		default:
			dir = parts[0]
		}
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}
