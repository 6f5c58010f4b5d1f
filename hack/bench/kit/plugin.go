package kit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Overlay is what every benchmark that runs the stack applies: the dev
// overlay with the database's data in the benchmarks' own folder, which
// with-cluster.sh creates and removes, so no benchmark writes into the
// user's /var/lib/kubectl-stack/mysql.
const Overlay = "hack/bench/overlay"

// OverlayHA is the HA tier (overlays/dev-ha) on the benchmarks' folder.
const OverlayHA = "hack/bench/overlay-ha"

// BuildPlugin builds the plugin's commands of the source tree src (the
// front binary kubectl-stack and, since it exists, the verbs binary it
// runs, which must sit beside it) into the folder dir, and returns the
// path of kubectl-stack.
func BuildPlugin(src, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", abs+string(filepath.Separator), "./cmd/...")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the plugin in %s: %v: %s", src, err, out)
	}
	return filepath.Join(abs, "kubectl-stack"), nil
}
