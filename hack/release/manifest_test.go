package main

import (
	"os"
	"testing"

	"sigs.k8s.io/yaml"
)

// The root krew-manifest.yaml is the template rendered for its own version
// and archives: edited by hand, or left behind by a template change, it
// fails here. (Its sha256s are those of `make release` at that version.)
func TestRootManifestIsTheRenderedTemplate(t *testing.T) {
	data, err := os.ReadFile("../../krew-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Spec struct {
			Version   string `json:"version"`
			Platforms []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
				Bin    string `json:"bin"`
				Files  []struct {
					From string `json:"from"`
				} `json:"files"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var platforms []Platform
	for _, p := range m.Spec.Platforms {
		pl := Platform{OS: p.Selector.MatchLabels["os"], Arch: p.Selector.MatchLabels["arch"], SHA256: p.SHA256, Bin: p.Bin}
		pl.Archive = p.URI[len(p.URI)-len(archiveName(m.Spec.Version, pl.OS, pl.Arch)):]
		for _, f := range p.Files {
			pl.Files = append(pl.Files, f.From)
		}
		platforms = append(platforms, pl)
	}
	if len(platforms) != len(AllPlatforms) {
		t.Errorf("the manifest lists %d platforms, want %d", len(platforms), len(AllPlatforms))
	}
	want, err := Render(Release{Version: m.Spec.Version, Platforms: platforms, Images: pinned(t, m.Spec.Version), ImagesArchive: imagesArchiveName(m.Spec.Version)})
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(data) {
		t.Errorf("krew-manifest.yaml is not the template rendered for %s: run `make release VERSION=%s`", m.Spec.Version, m.Spec.Version)
	}
}
