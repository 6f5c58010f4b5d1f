// Package imagebuild builds the project's own images (the watcher and the
// plugin) without Docker: a static Go program alone in an OCI image, non-root,
// for any platform, reproducibly (no time, path or build ID that differs
// between two builds of one commit). The release and hack/images both call
// it, so the image the tests run is the image the release ships.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Program is one of the project's images: a Go program alone in it.
type Program struct {
	// Repository is the image's name in the manifests.
	Repository string
	// Package is the Go package built, relative to the module root.
	Package string
	// Binary is the program's path in the image, its entrypoint.
	Binary string
}

// Programs are the project's images.
var Programs = []Program{
	{Repository: stack.WatcherImage, Package: "./watcher", Binary: "/watcher"},
	{Repository: stack.PluginImage, Package: "./cmd/kubectl_stack-verbs", Binary: "/kubectl-stack"},
}

// user is the non-root user and group every image runs as (distroless's
// "nonroot"); the manifests' securityContext says the same.
const user = "65532:65532"

const module = "github.com/kubectl-stack/kubectl-stack"

// Options say what every image of one build carries.
type Options struct {
	// Root is the module's folder.
	Root string
	// Version and Revision go into the program (pkg/version) and the
	// image's OCI labels.
	Version, Revision string
	// Created is every file's and the image's time (SOURCE_DATE_EPOCH).
	Created time.Time
	// GoOverlay, when set, is passed to go build -overlay (the release
	// builds the plugin image against a prod overlay without its own
	// images' digests: an image cannot hold its own digest).
	GoOverlay string
}

// Labels are the OCI labels and annotations of every image.
func (o Options) Labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.source":   "https://" + module,
		"org.opencontainers.image.revision": o.Revision,
		"org.opencontainers.image.version":  o.Version,
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
}

// Index builds p for every platform as one OCI image index.
func Index(ctx context.Context, p Program, o Options, platforms []v1.Platform) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, plat := range platforms {
		img, err := Image(ctx, p, o, plat)
		if err != nil {
			return nil, fmt.Errorf("%s for %s: %w", p.Repository, plat, err)
		}
		plat := plat
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat}})
	}
	return mutate.Annotations(idx, o.Labels()).(v1.ImageIndex), nil
}

// Image builds p for one platform.
func Image(ctx context.Context, p Program, o Options, plat v1.Platform) (v1.Image, error) {
	bin, err := compile(ctx, p, o, plat)
	if err != nil {
		return nil, err
	}
	layerTar, err := singleFileTar(filepath.Base(p.Binary), bin, o.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: o.Created}, CreatedBy: "go build " + p.Package, Comment: "hack/images/imagebuild",
	}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = plat.OS, plat.Architecture, plat.Variant
	cfg.Created = v1.Time{Time: o.Created}
	cfg.Config = v1.Config{Entrypoint: []string{p.Binary}, User: user, Labels: o.Labels()}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, o.Labels()).(v1.Image), nil
}

// compile builds the program statically for plat, with the version linked
// in and nothing of this machine (paths, build ID, VCS stamp) left in it.
func compile(ctx context.Context, p Program, o Options, plat v1.Platform) ([]byte, error) {
	work, err := os.MkdirTemp("", "kubectl-stack-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	out := filepath.Join(work, "bin")
	ldflags := fmt.Sprintf("-s -w -buildid= -X %[1]s/pkg/version.Version=%[2]s -X %[1]s/pkg/version.Commit=%[3]s", module, o.Version, o.Revision)
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out}
	if o.GoOverlay != "" {
		args = append(args, "-overlay", o.GoOverlay)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, p.Package)...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+plat.OS, "GOARCH="+plat.Architecture)
	if plat.Architecture == "arm" && plat.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+plat.Variant[1:])
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %w: %s", p.Package, err, bytes.TrimSpace(msg))
	}
	return os.ReadFile(out)
}

// singleFileTar is a layer holding one executable, owned by root and
// readable by the image's user, with a fixed time.
func singleFileTar(name string, data []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParsePlatforms reads "linux/amd64,linux/arm64".
func ParsePlatforms(list []string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, s := range list {
		p, err := v1.ParsePlatform(s)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("platform %q is not os/arch (such as linux/arm64)", s)
		}
		out = append(out, *p)
	}
	return out, nil
}
