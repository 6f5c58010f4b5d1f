//go:build e2e

// Package release tests the release build and its installation as a user
// gets it: reproducible archives, installed by krew (built from the Go
// module proxy) and found by kubectl's plugin discovery, shell completion
// through kubectl, a clean uninstall, and `go install` from a clean GOPATH.
package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
)

const (
	version   = "v0.1.0"
	krewPkg   = "sigs.k8s.io/krew/cmd/krew@v0.4.3"
	hostArch  = "linux/amd64"
	archive   = "kubectl-stack_" + version + "_linux_amd64.tar.gz"
	sourceEra = "1767225600" // 2026-01-01: any fixed time gives fixed archives
	// revision stands in for the commit: the copied tree has no git.
	revision = "0123456789abcdef0123456789abcdef01234567"
)

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// release builds the host platform's archive from src into a new folder.
func release(t *testing.T, src string) string {
	out := t.TempDir()
	run(t, src, []string{"SOURCE_DATE_EPOCH=" + sourceEra}, "go", "run", "./hack/release", "--version", version, "--out", out,
		"--platforms", hostArch, "--revision", revision)
	return out
}

// copyTree copies the module's tracked files to a new folder, so a second
// build runs from another path.
func copyTree(t *testing.T, root string) string {
	dst := t.TempDir()
	files := strings.Fields(run(t, root, nil, "git", "ls-files", "--cached", "--others", "--exclude-standard"))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		info, _ := os.Stat(filepath.Join(root, f))
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestReleaseIsReproducibleAndInstallsWithKrew(t *testing.T) {
	root := repoRoot(t)
	first := release(t, root)
	second := release(t, copyTree(t, root))
	a, err := os.ReadFile(filepath.Join(first, archive))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(second, archive))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two builds of one tree from two paths differ: %d and %d bytes", len(a), len(b))
	}
	for _, name := range []string{archive, imagesArchive} {
		check := exec.Command("sha256sum", "-c", name+".sha256")
		check.Dir = first
		if out, err := check.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v: %s", err, out)
		}
	}
	checkImages(t, first, second)

	kubectlDir, err := controlplane.BinDir("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	tools := t.TempDir()
	run(t, root, []string{"GOBIN=" + tools}, "go", "install", krewPkg)
	if err := os.Rename(filepath.Join(tools, "krew"), filepath.Join(tools, "kubectl-krew")); err != nil {
		t.Fatal(err)
	}
	krewRoot := t.TempDir()
	store := filepath.Join(krewRoot, "store", "stack", version)
	// Only these folders: no other kubectl-stack may answer.
	env := []string{"KREW_ROOT=" + krewRoot, "KREW_NO_UPGRADE_CHECK=1",
		"PATH=" + strings.Join([]string{filepath.Join(krewRoot, "bin"), tools, kubectlDir, "/usr/bin", "/bin"}, ":")}
	run(t, first, env, "kubectl", "krew", "install", "--manifest=krew-manifest.yaml", "--archive="+archive)
	// As the README says: link the completion file beside krew's links.
	completer := filepath.Join(krewRoot, "bin", "kubectl_complete-stack")
	if err := os.Symlink(filepath.Join(store, "kubectl_complete-stack"), completer); err != nil {
		t.Fatal(err)
	}

	if got := run(t, first, env, "kubectl", "stack", "version"); !strings.Contains(got, "kubectl-stack "+version) {
		t.Errorf("kubectl stack version through plugin discovery: %q, want %s", got, version)
	}
	// The plugin krew installed runs prod from the images this release built.
	listed := run(t, first, env, "kubectl", "stack", "images", "-k", "overlays/prod", "--archive", imagesArchive, "-o", "json")
	checkListed(t, listed)
	if got := run(t, first, env, "kubectl", "plugin", "list"); !strings.Contains(got, filepath.Join(krewRoot, "bin", "kubectl-stack")) {
		t.Errorf("kubectl plugin list does not show krew's kubectl-stack:\n%s", got)
	}
	// kubectl's plugin completion runs kubectl_complete-stack from PATH.
	got := run(t, first, env, "kubectl", "__complete", "stack", "")
	for _, verb := range []string{"apply", "status", "backup", "netcheck"} {
		if !strings.Contains(got, verb) {
			t.Errorf("kubectl __complete stack: %q missing:\n%s", verb, got)
		}
	}
	if got := run(t, first, env, "kubectl", "__complete", "stack", "status", "--w"); !strings.Contains(got, "--watch") {
		t.Errorf("kubectl __complete stack status --w: no --watch:\n%s", got)
	}

	if err := os.Remove(completer); err != nil {
		t.Fatal(err)
	}
	// Every krew user has a plugin index (krew update clones it); uninstall
	// insists on one. An empty local repository stands in, with no network.
	run(t, first, nil, "git", "init", "-q", filepath.Join(krewRoot, "index", "default"))
	run(t, first, env, "kubectl", "krew", "uninstall", "stack")
	for _, gone := range []string{store, filepath.Join(krewRoot, "bin", "kubectl-stack"), filepath.Join(krewRoot, "receipts", "stack.yaml")} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("after uninstall %s is still there (%v)", gone, err)
		}
	}
}

// TestGoInstallFromACleanGOPATH: go install works with an empty GOPATH and
// module cache, every module fetched through a module proxy and checked
// against go.sum. The proxy is this machine's own download cache (a
// GOPROXY of file://), which holds exactly what the module proxy served:
// the check is the same, without downloading everything again each run.
func TestGoInstallFromACleanGOPATH(t *testing.T) {
	gopath := t.TempDir()
	downloads := strings.TrimSpace(run(t, "", nil, "go", "env", "GOMODCACHE")) + "/cache/download"
	env := []string{"GOPATH=" + gopath, "GOMODCACHE=" + filepath.Join(gopath, "pkg", "mod"), "GOBIN=" + filepath.Join(gopath, "bin"),
		"GOFLAGS=-mod=readonly -buildvcs=false", "GOPROXY=file://" + downloads, "GOSUMDB=off"}
	// -trimpath leaves the module cache's path out of the build cache's keys,
	// so the packages the release build compiled are reused: what this
	// proves is where the modules come from, not how long compiling takes.
	run(t, repoRoot(t), env, "go", "install", "-trimpath", "./cmd/...")
	if got := run(t, "", nil, filepath.Join(gopath, "bin", "kubectl-stack"), "version"); !strings.HasPrefix(got, "kubectl-stack ") {
		t.Errorf("installed kubectl-stack version: %q", got)
	}
	// -o json is the verbs binary's, installed beside kubectl-stack.
	if got := run(t, "", nil, filepath.Join(gopath, "bin", "kubectl-stack"), "version", "-o", "json"); !strings.Contains(got, `"version"`) {
		t.Errorf("installed kubectl-stack version -o json: %q", got)
	}
	// The module cache holds read-only files; let t.TempDir remove them.
	run(t, "", env, "go", "clean", "-modcache")
}
