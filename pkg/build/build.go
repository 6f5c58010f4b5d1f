// Package build turns a Kustomize overlay into the objects the plugin applies,
// with the kustomize API in-process, exactly as `kubectl kustomize` does.
package build

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	kubectlstack "github.com/kubectl-stack/kubectl-stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Source is an overlay folder in a file system: on disk, or built into the binary.
type Source struct {
	FS  filesys.FileSystem
	Dir string
	// Name is what the user sees: the path they gave, or the built-in overlay's name.
	Name     string
	Embedded bool
}

// Resolve finds the overlay a -k value names. An empty value means the
// built-in dev overlay. A path that exists on disk wins; otherwise a path that
// names a built-in overlay (overlays/dev, overlays/prod) uses the binary's copy,
// so the plugin works without a checkout.
func Resolve(dir string) (Source, error) {
	if dir == "" {
		return embedded(stack.DefaultOverlay)
	}
	info, err := os.Stat(dir)
	switch {
	case err == nil && info.IsDir():
		abs, err := filepath.Abs(dir)
		if err != nil {
			return Source{}, fmt.Errorf("overlay %q: %w", dir, err)
		}
		return Source{FS: filesys.MakeFsOnDisk(), Dir: abs, Name: dir}, nil
	case err == nil:
		return Source{}, fmt.Errorf("overlay %q is a file: pass -k the folder that holds kustomization.yaml", dir)
	case !os.IsNotExist(err):
		return Source{}, fmt.Errorf("overlay %q: %w", dir, err)
	}
	if isEmbeddedOverlay(dir) {
		return embedded(path.Clean(filepath.ToSlash(dir)))
	}
	return Source{}, fmt.Errorf("overlay %q not found: pass -k a folder that holds a kustomization.yaml (built in: %s)",
		dir, strings.Join(EmbeddedOverlays(), ", "))
}

// EmbeddedOverlays lists the overlays built into the binary.
func EmbeddedOverlays() []string {
	entries, err := fs.ReadDir(kubectlstack.Manifests, "overlays")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, "overlays/"+e.Name())
		}
	}
	return names
}

func isEmbeddedOverlay(dir string) bool {
	clean := path.Clean(filepath.ToSlash(dir))
	_, err := fs.Stat(kubectlstack.Manifests, path.Join(clean, "kustomization.yaml"))
	return err == nil
}

// embedded copies the binary's manifests into an in-memory file system, the
// kind kustomize reads.
func embedded(overlay string) (Source, error) {
	mem := filesys.MakeFsInMemory()
	err := fs.WalkDir(kubectlstack.Manifests, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := kubectlstack.Manifests.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile("/"+p, data)
	})
	if err != nil {
		return Source{}, fmt.Errorf("reading built-in manifests: %w", err)
	}
	return Source{FS: mem, Dir: "/" + overlay, Name: overlay + " (built in)", Embedded: true}, nil
}

// Build runs kustomize on the overlay and returns its objects in the order
// kustomize emits them.
func Build(src Source) ([]*unstructured.Unstructured, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(src.FS, src.Dir)
	if err != nil {
		return nil, fmt.Errorf("building overlay %s: %s", src.Name, kube.OneLine(err))
	}
	objects := make([]*unstructured.Unstructured, 0, resources.Size())
	for _, r := range resources.Resources() {
		// Through JSON, so numbers are int64/float64 as in objects read from
		// the API server and apimachinery's deep copies accept them.
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("building overlay %s: %s: %w", src.Name, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("building overlay %s: %s: %w", src.Name, r.CurId(), err)
		}
		objects = append(objects, u)
	}
	return objects, nil
}

// Load resolves and builds the overlay a -k value names.
func Load(dir string) ([]*unstructured.Unstructured, error) {
	src, err := Resolve(dir)
	if err != nil {
		return nil, err
	}
	return Build(src)
}
