package images

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// The release's image archive is an OCI image layout in a tar file: one
// image index per image, named by these annotations of index.json
// (containerd's own, so `ctr images import` takes the archive as it is).
const (
	nameAnnotation = "io.containerd.image.name"
	tagAnnotation  = "org.opencontainers.image.ref.name"
)

// Named is an image index and the reference (REPOSITORY:TAG) it is
// published under.
type Named struct {
	Ref   string
	Index v1.ImageIndex
}

// WriteArchive writes images as an OCI layout tar file at file, with every
// file's time mtime, so two writes of the same images are the same bytes.
// The file appears complete or not at all.
func WriteArchive(file string, images []Named, mtime time.Time) error {
	dir, err := os.MkdirTemp("", "kubectl-stack-layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, img := range images {
		tag := img.Ref[strings.LastIndex(img.Ref, ":")+1:]
		err := p.AppendIndex(img.Index, layout.WithAnnotations(map[string]string{nameAnnotation: img.Ref, tagAnnotation: tag}))
		if err != nil {
			return fmt.Errorf("%s: %w", img.Ref, err)
		}
	}
	tmp := file + ".tmp"
	if err := tarFolder(dir, tmp, mtime); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, file)
}

// tarFolder writes dir's files, sorted, owned by root, at mtime.
func tarFolder(dir, file string, mtime time.Time) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, name := range names {
		if err := addFile(tw, filepath.Join(dir, name), name, mtime); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func addFile(tw *tar.Writer, src, name string, mtime time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: info.Size(), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// Archive is an opened image archive: its images by repository.
type Archive struct {
	Path   string
	dir    string
	images map[string]Named
}

// OpenArchive unpacks the archive at file into a temporary folder, checks
// it against FILE.sha256 when that file is beside it, and verifies every
// blob of every image against its digest: a tampered or truncated archive
// is refused here, before anything is pushed. Close removes the folder.
func OpenArchive(file string) (*Archive, error) {
	if err := checkSum(file); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kubectl-stack-archive-")
	if err != nil {
		return nil, err
	}
	a := &Archive{Path: file, dir: dir, images: map[string]Named{}}
	if err := a.load(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close removes the unpacked archive; a nil Archive has nothing to remove.
func (a *Archive) Close() error {
	if a == nil {
		return nil
	}
	return os.RemoveAll(a.dir)
}

func (a *Archive) load() error {
	if err := untar(a.Path, a.dir); err != nil {
		return fmt.Errorf("image archive %s %w", a.Path, err)
	}
	root, err := layout.ImageIndexFromPath(a.dir)
	if err != nil {
		return fmt.Errorf("image archive %s is not an OCI image layout: %w", a.Path, err)
	}
	m, err := root.IndexManifest()
	if err != nil {
		return fmt.Errorf("image archive %s: %w", a.Path, err)
	}
	for _, desc := range m.Manifests {
		ref := desc.Annotations[nameAnnotation]
		if ref == "" || !desc.MediaType.IsIndex() {
			continue
		}
		idx, err := root.ImageIndex(desc.Digest)
		if err == nil {
			err = validate.Index(idx)
		}
		if err != nil {
			return fmt.Errorf("image archive %s: %s fails verification against its digest %s (tampered or damaged; download it again): %w", a.Path, ref, desc.Digest, err)
		}
		a.images[Repository(ref)] = Named{Ref: ref, Index: idx}
	}
	if len(a.images) == 0 {
		return fmt.Errorf("image archive %s holds no named image index", a.Path)
	}
	return nil
}

// Image returns the archive's image of repository, if it holds one.
func (a *Archive) Image(repository string) (Named, bool) {
	n, ok := a.images[repository]
	return n, ok
}

// Images lists the archive's images, sorted by reference.
func (a *Archive) Images() []Named {
	var out []Named
	for _, n := range a.images {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// checkSum compares the archive with FILE.sha256 ("HEX  NAME"), when that
// file exists, as the release publishes it.
func checkSum(file string) error {
	want, err := os.ReadFile(file + ".sha256")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("image archive: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("image archive %s: %w", file, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if fields := strings.Fields(string(want)); len(fields) == 0 || fields[0] != got {
		return fmt.Errorf("image archive %s has sha256 %s, but %s.sha256 says %s: the archive is damaged or tampered; download it again", file, got, file, strings.TrimSpace(string(want)))
	}
	return nil
}

// untar unpacks the regular files of an archive into dir, refusing names
// that would leave it.
func untar(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("could not be opened: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for first := true; ; first = false {
		hdr, err := tr.Next()
		switch {
		case err == io.EOF:
			return nil
		case first && (errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)):
			return fmt.Errorf("is not a tar archive (%v): pass the release's kubectl-stack_VERSION_images.tar", err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("is truncated (%v): download it again", err)
		case err != nil:
			return fmt.Errorf("could not be read: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(hdr.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("has an entry %q that leaves the archive's folder", hdr.Name)
		}
		if err := writeEntry(filepath.Join(dir, filepath.FromSlash(name)), tr); err != nil {
			return fmt.Errorf("could not be unpacked: %w", err)
		}
	}
}

func writeEntry(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
