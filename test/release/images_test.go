//go:build e2e

package release

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kubectl-stack/kubectl-stack/hack/images/imagebuild"
	"github.com/kubectl-stack/kubectl-stack/pkg/images"
)

const imagesArchive = "kubectl-stack_" + version + "_images.tar"

// checkImages: two builds give one image archive, byte for byte; it loads
// with go-containerregistry, every image has both platforms, runs as a
// non-root user, carries its labels, and the program in the amd64 image
// runs here and prints the release's version.
func checkImages(t *testing.T, first, second string) {
	a, b := read(t, filepath.Join(first, imagesArchive)), read(t, filepath.Join(second, imagesArchive))
	if !bytes.Equal(a, b) {
		t.Fatalf("two builds' image archives differ: %d and %d bytes", len(a), len(b))
	}
	arch, err := images.OpenArchive(filepath.Join(first, imagesArchive))
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	for _, p := range imagebuild.Programs {
		named, ok := arch.Image(p.Repository)
		if !ok {
			t.Fatalf("the archive has no %s", p.Repository)
		}
		if got := strings.Join(images.Platforms(named.Index), ","); got != "linux/amd64,linux/arm64" {
			t.Errorf("%s platforms %s, want linux/amd64,linux/arm64", p.Repository, got)
		}
		img := platformImage(t, named.Index, "amd64")
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Config.User != "65532:65532" || cfg.Config.Labels["org.opencontainers.image.version"] != version ||
			cfg.Config.Labels["org.opencontainers.image.revision"] != revision {
			t.Errorf("%s config: user %q labels %v", p.Repository, cfg.Config.User, cfg.Config.Labels)
		}
		versionArg := "--version"
		if p.Repository == "kubectl-stack/kubectl-stack" {
			versionArg = "version"
		}
		out, err := exec.Command(extract(t, img, p.Binary), versionArg).CombinedOutput()
		if err != nil || !strings.Contains(string(out), version) {
			t.Errorf("%s %s from the image: %v: %s", p.Binary, versionArg, err, out)
		}
	}
}

func read(t *testing.T, file string) []byte {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func platformImage(t *testing.T, idx v1.ImageIndex, arch string) v1.Image {
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.Architecture == arch {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatalf("no %s image", arch)
	return nil
}

// extract writes the program at path in the image's layers to a file.
func extract(t *testing.T, img v1.Image, path string) string {
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d: %v, want the one layer of the program", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the layer: %v", path, err)
		}
		if "/"+hdr.Name != path {
			continue
		}
		dst := filepath.Join(t.TempDir(), filepath.Base(path))
		data, _ := io.ReadAll(tr)
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return dst
	}
}

// checkListed: `images -k overlays/prod` of the installed plugin names
// every image by digest, and the archive holds the project's, both
// platforms (the table shows them only when the digests agree).
func checkListed(t *testing.T, listed string) {
	var list struct {
		Items []struct {
			Image     string   `json:"image"`
			Digest    string   `json:"digest"`
			Platforms []string `json:"platforms"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(listed), &list); err != nil {
		t.Fatalf("images -o json: %v\n%s", err, listed)
	}
	var own []string
	for _, it := range list.Items {
		if !strings.HasPrefix(it.Digest, "sha256:") {
			t.Errorf("prod runs %s without a digest", it.Image)
		}
		if len(it.Platforms) == 2 {
			own = append(own, images.Repository(it.Image))
		}
	}
	sort.Strings(own)
	if strings.Join(own, ",") != "kubectl-stack/kubectl-stack,kubectl-stack/watcher" {
		t.Errorf("images whose digests the archive holds: %v, want the project's two", own)
	}
}
