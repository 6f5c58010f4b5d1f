package cmd

import (
	"strings"
	"testing"
)

// Whole references are pushed as given, with no overlay built (a missing
// overlay folder proves none is); names are picked from the overlay.
func TestImagesPushPicksReferencesAndNames(t *testing.T) {
	o := &ImagesPushOptions{overlayFlags: overlayFlags{Kustomize: "/no/such/overlay"}}
	ref := "kubectl-stack/watcher:v1.2.3@sha256:" + strings.Repeat("a", 64)
	got, err := o.pick([]string{ref, "nginx:1.27.3"})
	if err != nil || len(got) != 2 || got[0] != ref {
		t.Fatalf("pick of references: %v, %v", got, err)
	}
	if _, err := o.pick([]string{"kubectl-stack/watcher"}); err == nil || !strings.Contains(err.Error(), "/no/such/overlay") {
		t.Fatalf("a name needs the overlay: %v", err)
	}
	o.Kustomize = ""
	got, err = o.pick([]string{"kubectl-stack/watcher"})
	if err != nil || len(got) != 1 || !strings.HasPrefix(got[0], "kubectl-stack/watcher:") {
		t.Fatalf("pick of a name from the dev overlay: %v, %v", got, err)
	}
	if _, err := o.pick([]string{"no/such-image"}); err == nil || !strings.Contains(err.Error(), `runs no image "no/such-image"`) {
		t.Fatalf("an image the overlay does not run: %v", err)
	}
}
