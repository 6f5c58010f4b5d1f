package build

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// query is one question kustomize asked its file system and the answer it
// got, as a string: a file's sha256, true or false, a folder's entries. The
// same questions with the same answers give the same objects, so a render
// can be reused while every answer holds.
type query struct {
	Op     string `json:"op"`
	Path   string `json:"path"`
	Answer string `json:"answer"`
}

const (
	opRead       = "read"
	opExists     = "exists"
	opIsDir      = "isDir"
	opReadDir    = "readDir"
	opGlob       = "glob"
	opCleanedAbs = "cleanedAbs"
)

// recorder is a file system that remembers every question kustomize asked
// it: the files it read (for the render's digest and its cache) and every
// other answer the objects depend on. A write, a walk or an open marks the
// render as not reusable, as does a kustomization that names a remote
// resource (kustomize fetches those over HTTP or git, not through here).
type recorder struct {
	filesys.FileSystem
	mu       sync.Mutex
	files    map[string][]byte
	queries  []query
	asked    map[[2]string]bool
	reusable bool
}

func newRecorder(fs filesys.FileSystem) *recorder {
	return &recorder{FileSystem: fs, files: map[string][]byte{}, asked: map[[2]string]bool{}, reusable: true}
}

// add keeps the first answer to each question: kustomize asks some many
// times, and the answers of one render agree.
func (r *recorder) add(op, path, answer string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := [2]string{op, path}; !r.asked[k] {
		r.asked[k] = true
		r.queries = append(r.queries, query{op, path, answer})
	}
}

func (r *recorder) notReusable() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reusable = false
}

func (r *recorder) ReadFile(path string) ([]byte, error) {
	data, err := r.FileSystem.ReadFile(path)
	r.add(opRead, path, readAnswer(data, err))
	if err == nil {
		r.mu.Lock()
		r.files[path] = data
		r.mu.Unlock()
		if isKustomization(path) && remote(data) {
			r.notReusable()
		}
	}
	return data, err
}

func (r *recorder) Exists(path string) bool {
	ok := r.FileSystem.Exists(path)
	r.add(opExists, path, strconv.FormatBool(ok))
	return ok
}

func (r *recorder) IsDir(path string) bool {
	ok := r.FileSystem.IsDir(path)
	r.add(opIsDir, path, strconv.FormatBool(ok))
	return ok
}

func (r *recorder) ReadDir(path string) ([]string, error) {
	entries, err := r.FileSystem.ReadDir(path)
	r.add(opReadDir, path, listAnswer(entries, err))
	return entries, err
}

func (r *recorder) Glob(pattern string) ([]string, error) {
	matches, err := r.FileSystem.Glob(pattern)
	r.add(opGlob, pattern, listAnswer(matches, err))
	return matches, err
}

func (r *recorder) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	dir, file, err := r.FileSystem.CleanedAbs(path)
	r.add(opCleanedAbs, path, cleanedAbsAnswer(dir, file, err))
	return dir, file, err
}

func (r *recorder) Open(path string) (filesys.File, error) {
	r.notReusable()
	return r.FileSystem.Open(path)
}

func (r *recorder) Walk(path string, walkFn filepath.WalkFunc) error {
	r.notReusable()
	return r.FileSystem.Walk(path, walkFn)
}

func (r *recorder) Create(path string) (filesys.File, error) {
	r.notReusable()
	return r.FileSystem.Create(path)
}

func (r *recorder) Mkdir(path string) error {
	r.notReusable()
	return r.FileSystem.Mkdir(path)
}

func (r *recorder) MkdirAll(path string) error {
	r.notReusable()
	return r.FileSystem.MkdirAll(path)
}

func (r *recorder) RemoveAll(path string) error {
	r.notReusable()
	return r.FileSystem.RemoveAll(path)
}

func (r *recorder) WriteFile(path string, data []byte) error {
	r.notReusable()
	return r.FileSystem.WriteFile(path, data)
}

// holds asks fs each recorded question again and says whether every
// answer is the same.
func holds(fs filesys.FileSystem, queries []query) bool {
	for _, q := range queries {
		if ask(fs, q.Op, q.Path) != q.Answer {
			return false
		}
	}
	return true
}

func ask(fs filesys.FileSystem, op, path string) string {
	switch op {
	case opRead:
		return readAnswer(fs.ReadFile(path))
	case opExists:
		return strconv.FormatBool(fs.Exists(path))
	case opIsDir:
		return strconv.FormatBool(fs.IsDir(path))
	case opReadDir:
		return listAnswer(fs.ReadDir(path))
	case opGlob:
		return listAnswer(fs.Glob(path))
	case opCleanedAbs:
		return cleanedAbsAnswer(fs.CleanedAbs(path))
	}
	return "unknown question " + op
}

func readAnswer(data []byte, err error) string {
	if err != nil {
		return "error"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func listAnswer(names []string, err error) string {
	if err != nil {
		return "error"
	}
	return strings.Join(names, "\n")
}

func cleanedAbsAnswer(dir filesys.ConfirmedDir, file string, err error) string {
	if err != nil {
		return "error"
	}
	return dir.String() + "\x00" + file
}

// isKustomization says whether path is a kustomization file.
func isKustomization(path string) bool {
	switch filepath.Base(path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// remote says whether a kustomization may name something kustomize
// fetches itself: a URL, a git repository. A comment with a URL counts
// too; it only costs the cache.
func remote(kustomization []byte) bool {
	for _, mark := range []string{"://", "git@", "?ref=", "github.com/"} {
		if strings.Contains(string(kustomization), mark) {
			return true
		}
	}
	return false
}
