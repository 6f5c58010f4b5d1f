package build_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
)

// overlayOnDisk writes an overlay with a base in another folder, as the
// stack's own overlays are laid out.
func overlayOnDisk(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"base", "overlay"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(root, "base", "kustomization.yaml"), "resources: [cm.yaml]\n")
	writeFile(t, filepath.Join(root, "base", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {size: small}\n")
	writeFile(t, filepath.Join(root, "overlay", "kustomization.yaml"), "resources: [../base]\nnamespace: shop\n")
	return filepath.Join(root, "overlay")
}

func renderSize(t *testing.T, overlay, cache string) string {
	t.Helper()
	r, err := build.Render(overlay, cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Objects) != 1 {
		t.Fatalf("%d objects", len(r.Objects))
	}
	size, _, _ := unstructuredString(r.Objects[0].Object, "data", "size")
	return size
}

// A render is kept with every answer it depended on: reused while they
// hold, built again when a file the build read (here the base's, in
// another folder) changes or a file it looked for appears.
func TestRenderCacheIsReusedUntilAnAnswerChanges(t *testing.T) {
	overlay, cache := overlayOnDisk(t), t.TempDir()
	if got := renderSize(t, overlay, cache); got != "small" {
		t.Fatalf("first render: size %q", got)
	}
	kept, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(kept) != 1 {
		t.Fatalf("kept renders: %v", kept)
	}
	// Proof the next render comes from the cache: the kept object says so.
	data, err := os.ReadFile(kept[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kept[0], []byte(strings.Replace(string(data), `"small"`, `"from-cache"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := renderSize(t, overlay, cache); got != "from-cache" {
		t.Fatalf("nothing changed, yet the render was built again: size %q", got)
	}
	writeFile(t, filepath.Join(filepath.Dir(overlay), "base", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {size: large}\n")
	if got := renderSize(t, overlay, cache); got != "large" {
		t.Fatalf("the base's file changed, the render did not: size %q", got)
	}
	// kustomize refuses a folder with two kustomization files: a new file
	// it looked for must end the kept render too.
	writeFile(t, filepath.Join(overlay, "kustomization.yml"), "resources: [../base]\n")
	if _, err := build.Render(overlay, cache); err == nil || !strings.Contains(err.Error(), "kustomization") {
		t.Fatalf("a second kustomization file beside the first: %v", err)
	}
}

// kustomize fetches remote resources itself, so a render that may name one
// is never kept.
func TestRenderCacheKeepsNothingThatMayBeRemote(t *testing.T) {
	overlay, cache := overlayOnDisk(t), t.TempDir()
	writeFile(t, filepath.Join(overlay, "kustomization.yaml"), "resources: [../base]\n# from https://example.invalid/base once\n")
	renderSize(t, overlay, cache)
	if kept, _ := filepath.Glob(filepath.Join(cache, "*.json")); len(kept) != 0 {
		t.Errorf("a kustomization naming a URL was kept: %v", kept)
	}
}
