// Command history benchmarks what recording revisions costs `kubectl stack
// apply`: the plugin as it is against the plugin built from the commit
// before revisions existed, same cluster, alternately. Measured: an apply
// that changes nothing (the lock and the user's SelfSubjectReview, no
// revision) and an apply that changes one ConfigMap (a revision recorded).
// The cost of a revision is what the changing applies' medians differ by
// beyond what the no-op applies' do (the lock), held to 10% of a no-op apply. Run it through hack/bench/history.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	rounds := flag.Int("rounds", 30, "runs of each apply, per plugin")
	flag.Parse()
	if err := run(*kubeconfig, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, rounds int) error {
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-history-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	now, err := kit.BuildPlugin(".", filepath.Join(dir, "now"))
	if err != nil {
		return err
	}
	ref, err := commitBeforeRevisions()
	if err != nil {
		return err
	}
	before, err := buildAt(ref, filepath.Join(dir, "src"), filepath.Join(dir, "before"))
	if err != nil {
		return err
	}
	toggles, err := toggleOverlays(dir)
	if err != nil {
		return err
	}
	apply := func(plugin, overlay string) []string {
		return []string{plugin, "--kubeconfig", kubeconfig, "apply", "-k", overlay, "--wait=false"}
	}
	// The first apply waits until the stack is ready, so the node is not
	// starting pods while the applies are timed.
	if _, err := kit.Time(append(apply(now, toggles[0]), "--wait", "--timeout=5m")); err != nil {
		return err
	}
	fmt.Printf("history benchmark: %d rounds; the plugin before revisions is %s\n", rounds, ref[:12])
	// One round runs all four, so each sees the same machine: a no-op apply
	// by each plugin, then each flips the ConfigMap (one object changed).
	var noopNow, noopBefore, changeNow, changeBefore kit.Runs
	for i := 0; i < rounds; i++ {
		for _, step := range []struct {
			argv []string
			runs *kit.Runs
		}{
			{apply(now, toggles[0]), &noopNow}, {apply(before, toggles[0]), &noopBefore},
			{apply(now, toggles[1]), &changeNow}, {apply(before, toggles[0]), &changeBefore},
		} {
			d, err := kit.Time(step.argv)
			if err != nil {
				return err
			}
			*step.runs = append(*step.runs, d)
		}
	}
	anchor := "kubectl stack apply before revisions (" + ref[:12] + ")"
	if err := kit.Record(kit.TimedRow("apply, nothing changed: lock, no revision", noopNow, noopBefore, anchor, "<= 1.1x")); err != nil {
		return err
	}
	if err := kit.Record(kit.TimedRow("apply changing one object: a revision recorded", changeNow, changeBefore, anchor, "<= 1.2x")); err != nil {
		return err
	}
	// The lock is paid by every apply; what a revision adds is the rest.
	lock := noopNow.Median() - noopBefore.Median()
	revision := changeNow.Median() - changeBefore.Median() - lock
	fmt.Printf("cost of the lock: %s\n", lock.Round(1e5))
	return kit.Record(kit.Row{What: "cost of a revision (a changing apply's time beyond the before plugin's and the lock)",
		Median: revision.Round(1e5).String(), Spread: "-", Anchor: "a no-op apply with history",
		AnchorMedian: noopNow.Median().Round(1e6).String(), Ratio: fmt.Sprintf("%.2fx", float64(revision)/float64(noopNow.Median())), Target: "<= 0.1x"})
}

// commitBeforeRevisions is the parent of the commit that added pkg/history.
func commitBeforeRevisions() (string, error) {
	out, err := exec.Command("git", "log", "--diff-filter=A", "--format=%H", "--", "pkg/history/revision.go").Output()
	if err != nil {
		return "", fmt.Errorf("finding the commit that added revisions: %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return "", fmt.Errorf("no commit added pkg/history/revision.go: run from a git checkout")
	}
	parent, err := exec.Command("git", "rev-parse", lines[len(lines)-1]+"^").Output()
	if err != nil {
		return "", fmt.Errorf("the commit before revisions: %w", err)
	}
	return strings.TrimSpace(string(parent)), nil
}

// buildAt builds the plugin as it was at ref, from `git archive`, into
// the folder out.
func buildAt(ref, src, out string) (string, error) {
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	archive := exec.Command("sh", "-c", fmt.Sprintf("git archive %s | tar -x -C %s", ref, src))
	if b, err := archive.CombinedOutput(); err != nil {
		return "", fmt.Errorf("git archive %s: %v: %s", ref, err, b)
	}
	return kit.BuildPlugin(src, out)
}

// toggleOverlays are two overlays on the benchmarks' dev overlay that
// differ in one ConfigMap's value.
func toggleOverlays(dir string) ([2]string, error) {
	var out [2]string
	dev, err := filepath.Abs(kit.Overlay)
	if err != nil {
		return out, err
	}
	for i, value := range []string{"a", "b"} {
		d := filepath.Join(dir, "toggle-"+value)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return out, err
		}
		rel, err := filepath.Rel(d, dev)
		if err != nil {
			return out, err
		}
		k := fmt.Sprintf("resources:\n  - %s\nconfigMapGenerator:\n  - name: bench-toggle\n    namespace: k8s-assignment\n    literals: [value=%s]\n    options: {disableNameSuffixHash: true}\n", rel, value)
		if err := os.WriteFile(filepath.Join(d, "kustomization.yaml"), []byte(k), 0o644); err != nil {
			return out, err
		}
		out[i] = d
	}
	return out, nil
}
