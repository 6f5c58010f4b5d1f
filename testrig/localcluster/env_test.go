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
