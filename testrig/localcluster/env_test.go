package localcluster

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// hack/lib.sh and the Go side agree on the cache folder, under each way of
// setting it, and on the dev environment's facts.
func TestHackLibAgreesWithGo(t *testing.T) {
	lib, err := filepath.Abs("../../hack/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	for _, env := range [][2]string{
		{"", ""},
		{"XDG_CACHE_HOME", filepath.Join(home, "xdg")},
		{"KUBECTL_STACK_CACHE", filepath.Join(home, "own")},
	} {
		t.Setenv("HOME", home)
		t.Setenv("XDG_CACHE_HOME", "")
		t.Setenv("KUBECTL_STACK_CACHE", "")
		if env[0] != "" {
			t.Setenv(env[0], env[1])
		}
		out, err := exec.Command("bash", "-c", `source "$1" && printf '%s\n' "$cache" "$data_dir" "$database_uid"`, "bash", lib).CombinedOutput()
		if err != nil {
			t.Fatalf("sourcing hack/lib.sh: %v\n%s", err, out)
		}
		got := strings.Split(strings.TrimSpace(string(out)), "\n")
		want := []string{CacheDir(), stack.DevDataDir, strconv.Itoa(stack.DatabaseUID)}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s=%q: hack/lib.sh says %q, Go says %q", env[0], env[1], got, want)
		}
	}
}

// with_step_times returns its command's status and prints the ten slowest
// steps, also when the list is longer than a pipe holds (a run's exit 141
// once came from sort writing into a pipe head had closed).
func TestWithStepTimesPrintsTheSlowest(t *testing.T) {
	lib, err := filepath.Abs("../../hack/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := `set -euo pipefail; source "$1"
steps() { for i in $(seq 1 20000); do printf '%d.0\tTestX\tstep %d %0100d\n' "$i" "$i" 0; done >>"$KUBECTL_STACK_STEP_TIMES"; }
with_step_times steps`
	out, err := exec.Command("bash", "-c", script, "bash", lib).CombinedOutput()
	if err != nil {
		t.Fatalf("with_step_times: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[1], "20000.0\t") || !strings.HasPrefix(lines[10], "19991.0\t") {
		t.Errorf("want a heading and steps 20000 down to 19991, got %d lines:\n%s", len(lines), out)
	}
	for _, l := range lines[1:] {
		if len(l) > 160 {
			t.Errorf("line longer than 160 characters: %q", l)
		}
	}
	failing := `set -euo pipefail; source "$1"; st=0; with_step_times false || st=$?; echo "status $st"`
	out, err = exec.Command("bash", "-c", failing, "bash", lib).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "status 1") {
		t.Errorf("a failing command's status: %v %s", err, out)
	}
}
