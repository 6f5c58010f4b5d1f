package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// renderCache keeps renders in a folder, each with every question
// kustomize asked its file system and the answer (recorder). Asking them
// again costs a few reads of small files; running kustomize costs about
// 150 ms, most of an apply that changes nothing. A render is kept per
// overlay and per binary (its path, size and time), so another plugin
// version, with another kustomize, builds again.
type renderCache struct {
	dir string
}

type cachedRender struct {
	Binary  string            `json:"binary"`
	Queries []query           `json:"queries"`
	Digest  string            `json:"digest"`
	Objects []json.RawMessage `json:"objects"`
}

// load returns the kept render of src when every answer still holds.
func (c renderCache) load(src Source) (*Rendered, bool) {
	path, binary, ok := c.file(src)
	if !ok {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var kept cachedRender
	if json.Unmarshal(data, &kept) != nil || kept.Binary != binary || !holds(src.FS, kept.Queries) {
		return nil, false
	}
	r := &Rendered{Source: src.Name, Digest: kept.Digest, Objects: make([]*unstructured.Unstructured, 0, len(kept.Objects))}
	for _, raw := range kept.Objects {
		u := &unstructured.Unstructured{}
		if u.UnmarshalJSON(raw) != nil {
			return nil, false
		}
		r.Objects = append(r.Objects, u)
	}
	return r, true
}

// store keeps r. A cache that cannot be written is no error: the next
// render builds again.
func (c renderCache) store(src Source, queries []query, r *Rendered) {
	path, binary, ok := c.file(src)
	if !ok {
		return
	}
	kept := cachedRender{Binary: binary, Queries: queries, Digest: r.Digest}
	for _, o := range r.Objects {
		raw, err := o.MarshalJSON()
		if err != nil {
			return
		}
		kept.Objects = append(kept.Objects, raw)
	}
	data, err := json.Marshal(kept)
	if err != nil || os.MkdirAll(c.dir, 0o700) != nil {
		return
	}
	// Renamed into place, so a concurrent load reads a whole file or none.
	tmp, err := os.CreateTemp(c.dir, ".render-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

// file is where src's render is kept, and the identity of this binary.
func (c renderCache) file(src Source) (path, binary string, ok bool) {
	if c.dir == "" {
		return "", "", false
	}
	exe, err := os.Executable()
	if err != nil {
		return "", "", false
	}
	info, err := os.Stat(exe)
	if err != nil {
		return "", "", false
	}
	binary = fmt.Sprintf("%s %d %d", exe, info.Size(), info.ModTime().UnixNano())
	sum := sha256.Sum256([]byte(src.Name + "\x00" + src.Dir))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".json"), binary, true
}
