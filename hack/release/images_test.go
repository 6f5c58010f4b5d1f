package main

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-stack/kubectl-stack/hack/images/imagebuild"
)

// kustomizationImages reads the images: list of a kustomization.
func kustomizationImages(t *testing.T, file string) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Images []map[string]string `json:"images"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, img := range k.Images {
		out[img["name"]] = img
	}
	return out
}

// pinned lists the project's images as overlays/prod pins them.
func pinned(t *testing.T, version string) []Image {
	t.Helper()
	imgs := kustomizationImages(t, "../../"+pinnedFiles[0])
	var out []Image
	for _, p := range imagebuild.Programs {
		e := imgs[p.Repository]
		if e["newTag"] != version || !strings.HasPrefix(e["digest"], "sha256:") {
			t.Errorf("%s pins %s to tag %q digest %q, want %s and a digest: run `make release VERSION=%s`",
				pinnedFiles[0], p.Repository, e["newTag"], e["digest"], version, version)
		}
		out = append(out, Image{Ref: p.Repository + ":" + e["newTag"], Digest: e["digest"]})
	}
	return out
}

// Every file the release pins names every image the same way, so the
// parameters folder of `init --from prod` runs what overlays/prod runs.
func TestPinnedFilesAgree(t *testing.T) {
	first := kustomizationImages(t, "../../"+pinnedFiles[0])
	for _, f := range pinnedFiles[1:] {
		other := kustomizationImages(t, "../../"+f)
		for name, e := range first {
			for _, field := range []string{"newName", "newTag", "digest"} {
				if other[name][field] != e[field] {
					t.Errorf("%s: %s %s is %q, %s says %q", f, name, field, other[name][field], pinnedFiles[0], e[field])
				}
			}
		}
	}
}

func TestPinImagesSetsAndClearsDigests(t *testing.T) {
	in := []byte("# keep me\nimages:\n  - name: nginx\n    newTag: 1.27.3\n  - name: kubectl-stack/watcher\n    newTag: v0.0.1\n    digest: sha256:old\n  - name: kubectl-stack/kubectl-stack\n    newTag: v0.0.1\n")
	digests := map[string]string{"kubectl-stack/watcher": "sha256:w", "kubectl-stack/kubectl-stack": "sha256:p"}
	out, err := pinImages(in, "v9.9.9", digests)
	if err != nil {
		t.Fatal(err)
	}
	want := "# keep me\nimages:\n  - name: nginx\n    newTag: 1.27.3\n  - name: kubectl-stack/watcher\n    newTag: v9.9.9\n    digest: sha256:w\n  - name: kubectl-stack/kubectl-stack\n    newTag: v9.9.9\n    digest: sha256:p\n"
	if string(out) != want {
		t.Errorf("pinned:\n%s\nwant:\n%s", out, want)
	}
	out, err = pinImages(out, "v9.9.9", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "digest") {
		t.Errorf("unpinned still has a digest:\n%s", out)
	}
	if _, err := pinImages([]byte("images: []\n"), "v1.0.0", nil); err == nil || !strings.Contains(err.Error(), "no images: entry for kubectl-stack/watcher") {
		t.Errorf("a kustomization without the entries: %v", err)
	}
}
