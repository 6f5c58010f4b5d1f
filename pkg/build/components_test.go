package build_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The watcher-podmonitor component builds on top of an overlay and selects
// the watcher's pods on their metrics port.
func TestWatcherPodMonitorComponent(t *testing.T) {
	dir := t.TempDir()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dev, _ := filepath.Rel(dir, filepath.Join(root, "overlays", "dev"))
	component, _ := filepath.Rel(dir, filepath.Join(root, "components", "watcher-podmonitor"))
	k := "resources:\n  - " + dev + "\ncomponents:\n  - " + component + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := build.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, u := range objs {
		found[u.GetKind()+"/"+u.GetName()] = true
		if u.GetKind() != "PodMonitor" {
			continue
		}
		sel, _, _ := unstructuredMap(u.Object, "spec", "selector", "matchLabels")
		for k, v := range stack.Watcher.Selector() {
			if sel[k] != v {
				t.Errorf("PodMonitor selector %v does not select the watcher", sel)
			}
		}
		if u.GetLabels()[stack.LabelPartOf] != stack.Instance {
			t.Errorf("PodMonitor lacks the stack's labels: %v", u.GetLabels())
		}
	}
	if !found["PodMonitor/watcher"] || !found["NetworkPolicy/watcher-metrics-from-monitoring"] {
		t.Fatalf("component objects missing: %v", found)
	}
}
