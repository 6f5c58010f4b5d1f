package build

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// readRecorder is a file system that remembers every file kustomize read,
// so a build can say exactly which files made its objects.
type readRecorder struct {
	filesys.FileSystem
	mu    sync.Mutex
	files map[string][]byte
}

func (r *readRecorder) ReadFile(path string) ([]byte, error) {
	data, err := r.FileSystem.ReadFile(path)
	if err == nil {
		r.mu.Lock()
		r.files[path] = data
		r.mu.Unlock()
	}
	return data, err
}

// digest is the sha256 of the files read, each named relative to the
// overlay folder, so the same files give the same digest in any checkout
// or in the binary.
func (r *readRecorder) digest(dir string) string {
	names := make([]string, 0, len(r.files))
	rel := map[string]string{}
	for p := range r.files {
		name, err := filepath.Rel(dir, p)
		if err != nil {
			name = p
		}
		rel[name] = p
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		sum := sha256.Sum256(r.files[rel[name]])
		h.Write([]byte(filepath.ToSlash(name) + "\x00" + hex.EncodeToString(sum[:]) + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Rendered is an overlay's objects with where they came from.
type Rendered struct {
	Objects []*unstructured.Unstructured
	// Source names the overlay as the user sees it.
	Source string
	// Digest is the sha256 over every file the build read.
	Digest string
}

// Render resolves and builds the overlay a -k value names and digests the
// files it read.
func Render(dir string) (*Rendered, error) {
	src, err := Resolve(dir)
	if err != nil {
		return nil, err
	}
	rec := &readRecorder{FileSystem: src.FS, files: map[string][]byte{}}
	src.FS = rec
	objs, err := Build(src)
	if err != nil {
		return nil, err
	}
	return &Rendered{Objects: objs, Source: src.Name, Digest: rec.digest(src.Dir)}, nil
}
