// Package params writes the folder `kubectl stack init` gives a user to own:
// the manifests as the binary holds them, and a parameters overlay whose
// kustomization.yaml is the one file people edit (replicas, NodePort,
// images, storage, resources, the database's node label, the namespace,
// the backup schedule and retention), in plain Kustomize.
package params

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	kubectlstack "github.com/kubectl-stack/kubectl-stack"
)

// Sources are the overlays a parameters folder can start from.
var Sources = []string{"dev", "prod", "dev-ha", "prod-ha"}

// Written is what Init wrote.
type Written struct {
	Dir string
	// Overlay is the parameters overlay: what to pass to -k.
	Overlay string
	Files   int
}

// Init writes the manifests and the parameters overlay of from into dir,
// which must be missing or empty. It writes into a new folder beside dir
// and renames it into place, so a failure leaves dir as it was.
func Init(dir, from string) (*Written, error) {
	if !slices.Contains(Sources, from) {
		return nil, fmt.Errorf("--from %q is not an overlay to start from: use one of %s", from, strings.Join(Sources, ", "))
	}
	existing, err := checkTarget(dir)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	n, err := writeBeside(abs, from, existing)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	return &Written{Dir: dir, Overlay: filepath.Join(dir, "params", from), Files: n}, nil
}

// writeBeside writes into a new folder beside abs and renames it into
// place; an existing (empty) abs is replaced, and put back on failure.
func writeBeside(abs, from string, existing fs.FileInfo) (int, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".init-")
	if err != nil {
		return 0, fmt.Errorf("cannot write beside it: %w", err)
	}
	n, err := copyManifests(tmp, from)
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil && existing != nil {
		err = os.Remove(abs)
	}
	if err == nil {
		if err = os.Rename(tmp, abs); err != nil && existing != nil {
			_ = os.Mkdir(abs, existing.Mode().Perm())
		}
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
	}
	return n, err
}

// checkTarget refuses a file and a folder with anything in it, and returns
// the empty folder's details when it exists.
func checkTarget(dir string) (fs.FileInfo, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("init %s: %w", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("init %s: it is a file: name a new or empty folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("init %s: the folder is not empty (%d entries, e.g. %s): name a new or empty folder, nothing was written", dir, len(entries), entries[0].Name())
	}
	return info, nil
}

// copyManifests writes base/, components/, overlays/ and params/FROM/.
func copyManifests(dst, from string) (int, error) {
	n := 0
	err := fs.WalkDir(kubectlstack.Manifests, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !wanted(p, from) {
			return err
		}
		data, err := kubectlstack.Manifests.ReadFile(p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		n++
		return os.WriteFile(target, data, 0o644)
	})
	return n, err
}

func wanted(p, from string) bool {
	if strings.HasPrefix(p, "params/") {
		return path.Dir(p) == "params/"+from
	}
	return true
}
