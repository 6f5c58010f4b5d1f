package params_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/params"
)

func TestInitRefusesWhatItMustNotTouch(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	full := filepath.Join(tmp, "full")
	if err := os.WriteFile(file, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(full, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir, from, want string
		errno           error
	}{
		{file, "prod", "it is a file", nil},
		{full, "prod", "the folder is not empty", nil},
		{filepath.Join(file, "sub"), "dev", "not a directory", syscall.ENOTDIR},
		{filepath.Join(tmp, "new"), "staging", "not an overlay to start from", nil},
	}
	for _, c := range cases {
		_, err := params.Init(c.dir, c.from)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("init %s --from %s: got %v, want one line with %q", c.dir, c.from, err, c.want)
		}
		if c.errno != nil && !errors.Is(err, c.errno) {
			t.Errorf("init %s: %v does not wrap %v", c.dir, err, c.errno)
		}
	}
	entries, err := os.ReadDir(tmp)
	if err != nil || len(entries) != 2 {
		t.Fatalf("init left something behind in %s: %v %v", tmp, entries, err)
	}
	if data, _ := os.ReadFile(file); string(data) != "mine" {
		t.Fatal("init changed the file it was pointed at")
	}
}

func TestInitIntoAnEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	w, err := params.Init(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"base/kustomization.yaml", "components/binlog-archive/kustomization.yaml", "overlays/prod/kustomization.yaml", "params/prod/kustomization.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("init wrote no %s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "params", "dev")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("init --from prod wrote params/dev: %v", err)
	}
	if w.Overlay != filepath.Join(dir, "params", "prod") || w.Files < 40 {
		t.Errorf("init reported %+v", w)
	}
}
