package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kubectl-stack/kubectl-stack/hack/images/imagebuild"
	"github.com/kubectl-stack/kubectl-stack/pkg/images"
)

// pinnedFiles are the kustomizations whose images: list names the project's
// own images; the release pins them to its digests.
var pinnedFiles = []string{"overlays/prod/kustomization.yaml", "params/prod/kustomization.yaml"}

// Image is one of the release's images, as the krew manifest names it.
type Image struct{ Ref, Digest string }

// imagesArchiveName is the release's OCI layout archive of its images.
func imagesArchiveName(version string) string {
	return fmt.Sprintf("kubectl-stack_%s_images.tar", version)
}

// buildImages builds the project's images for platforms, writes their
// archive (and .sha256) to out, and writes each pinned file with the new
// digests to out/pinned/FILE. It returns the images and a go build -overlay file
// that builds the plugin with those pinned files.
func buildImages(version, revision, out string, stamp time.Time, platforms []v1.Platform) ([]Image, string, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	// The plugin image embeds the manifests; built against the pinned files
	// without digests, it cannot depend on its own digest.
	unpinned, err := writePinned(root, filepath.Join(out, "unpinned"), version, nil)
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(filepath.Join(out, "unpinned"))
	opts := imagebuild.Options{Root: root, Version: version, Revision: revision, Created: stamp, GoOverlay: unpinned}
	var named []images.Named
	var built []Image
	digests := map[string]string{}
	for _, p := range imagebuild.Programs {
		idx, err := imagebuild.Index(context.Background(), p, opts, platforms)
		if err != nil {
			return nil, "", err
		}
		d, err := idx.Digest()
		if err != nil {
			return nil, "", err
		}
		ref := p.Repository + ":" + version
		named = append(named, images.Named{Ref: ref, Index: idx})
		built = append(built, Image{Ref: ref, Digest: d.String()})
		digests[p.Repository] = d.String()
		fmt.Fprintf(os.Stderr, "built image %s@%s\n", ref, d)
	}
	archive := filepath.Join(out, imagesArchiveName(version))
	if err := images.WriteArchive(archive, named, stamp); err != nil {
		return nil, "", err
	}
	if err := writeSHA256(archive); err != nil {
		return nil, "", err
	}
	pinned, err := writePinned(root, filepath.Join(out, "pinned"), version, digests)
	return built, pinned, err
}

// writePinned writes every pinned file under dir with the project's images
// at version and digests (none: no digest), and a go build -overlay file
// mapping the module's files to them; it returns the overlay file's path.
func writePinned(root, dir, version string, digests map[string]string) (string, error) {
	replace := map[string]string{}
	for _, f := range pinnedFiles {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		data, err = pinImages(data, version, digests)
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return "", err
		}
		abs, err := filepath.Abs(dst)
		if err != nil {
			return "", err
		}
		replace[filepath.Join(root, f)] = abs
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "go-overlay.json")
	return file, os.WriteFile(file, overlay, 0o644)
}

// pinImages sets the project's images in a kustomization's images: list
// to version and, when digests has one, its digest (else none).
func pinImages(data []byte, version string, digests map[string]string) ([]byte, error) {
	doc, err := yaml.Parse(string(data))
	if err != nil {
		return nil, err
	}
	for _, p := range imagebuild.Programs {
		entry, err := doc.Pipe(yaml.Lookup("images"), yaml.ElementMatcher{Keys: []string{"name"}, Values: []string{p.Repository}})
		if err != nil {
			return nil, err
		}
		if entry == nil {
			return nil, fmt.Errorf("no images: entry for %s", p.Repository)
		}
		if err := entry.PipeE(yaml.SetField("newTag", yaml.NewStringRNode(version))); err != nil {
			return nil, err
		}
		if d := digests[p.Repository]; d != "" {
			err = entry.PipeE(yaml.SetField("digest", yaml.NewStringRNode(d)))
		} else {
			err = entry.PipeE(yaml.Clear("digest"))
		}
		if err != nil {
			return nil, err
		}
	}
	return yaml.MarshalWithOptions(doc.Document(), &yaml.EncoderOptions{SeqIndent: yaml.WideSequenceStyle})
}
