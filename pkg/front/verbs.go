package front

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// verbsPath is the verbs binary beside this one (krew links only
// kubectl-stack onto PATH: its real folder holds both).
func verbsPath() (string, error) {
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		return "", fmt.Errorf("finding this program's folder: %w", err)
	}
	name := VerbsBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	path := filepath.Join(filepath.Dir(self), name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is not beside %s: install both, from the release's archive, with krew, or with go install github.com/kubectl-stack/kubectl-stack/cmd/...@VERSION", name, self)
	} else if err != nil {
		return "", err
	}
	return path, nil
}
