package build

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// digest is the sha256 of the files read, each named relative to the
// overlay folder, so the same files give the same digest in any checkout
// or in the binary.
func (r *recorder) digest(dir string) string {
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
// files it read. With a cache folder, a render whose every file and
// folder kustomize asked about is as it was is read from there instead
// of built again (see renderCache).
func Render(dir, cacheDir string) (*Rendered, error) {
	src, err := Resolve(dir)
	if err != nil {
		return nil, err
	}
	cache := renderCache{dir: cacheDir}
	if r, ok := cache.load(src); ok {
		return r, nil
	}
	rec := newRecorder(src.FS)
	objs, err := Build(Source{FS: rec, Dir: src.Dir, Name: src.Name, Embedded: src.Embedded})
	if err != nil {
		return nil, err
	}
	r := &Rendered{Objects: objs, Source: src.Name, Digest: rec.digest(src.Dir)}
	if rec.reusable {
		cache.store(src, rec.queries, r)
	}
	return r, nil
}
