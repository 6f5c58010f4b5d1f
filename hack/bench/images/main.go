// Command images benchmarks `kubectl stack images push --from A --to B` of
// the watcher image (both platforms, as the release builds it) against
// `crane copy` of the same image between the same two registries
// (distribution, on loopback), alternately in one run, each round into a
// new repository so both upload everything. Run it through
// hack/bench/images.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/images"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/registry"
)

const version = "v0.0.0-bench"

func main() {
	binDir := flag.String("bin-dir", os.Getenv("KUBECTL_STACK_BIN_DIR"), "hack/build-binaries.sh's folder (registry, crane)")
	rounds := flag.Int("rounds", 10, "runs of each")
	flag.Parse()
	if err := run(*binDir, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(binDir string, rounds int) error {
	if binDir == "" {
		return fmt.Errorf("--bin-dir (or KUBECTL_STACK_BIN_DIR) is not set: hack/build-binaries.sh prints the folder")
	}
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-images-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin, err := kit.BuildPlugin(".", dir)
	if err != nil {
		return err
	}
	if err := command("go", "run", "./hack/release", "--version", version, "--out", dir, "--platforms", "", "--revision", "bench"); err != nil {
		return err
	}
	archive := filepath.Join(dir, "kubectl-stack_"+version+"_images.tar")
	digest, err := watcherDigest(archive)
	if err != nil {
		return err
	}
	overlay, err := pinnedOverlay(dir, digest)
	if err != nil {
		return err
	}
	from, err := start(binDir, filepath.Join(dir, "from"))
	if err != nil {
		return err
	}
	defer from.Stop()
	to, err := start(binDir, filepath.Join(dir, "to"))
	if err != nil {
		return err
	}
	defer to.Stop()
	if err := command(plugin, "images", "push", "-k", overlay, "--archive", archive, "--to", from.Host, stack.WatcherImage); err != nil {
		return err
	}
	fmt.Printf("images benchmark: the watcher image (linux/amd64, linux/arm64) from one registry to another, %d rounds\n", rounds)
	ref := stack.WatcherImage + ":" + version + "@" + digest
	var mine, theirs, withOverlay kit.Runs
	for i := 0; i < rounds; i++ {
		m, err := kit.Time([]string{plugin, "images", "push", "--from", from.Host, "--to", fmt.Sprintf("%s/mine%d", to.Host, i), ref})
		if err != nil {
			return err
		}
		c, err := kit.Time([]string{filepath.Join(binDir, "crane"), "copy", from.Host + "/" + stack.WatcherImage + "@" + digest,
			fmt.Sprintf("%s/crane%d/%s:%s", to.Host, i, stack.WatcherImage, version)})
		if err != nil {
			return err
		}
		k, err := kit.Time([]string{plugin, "images", "push", "-k", overlay, "--from", from.Host, "--to", fmt.Sprintf("%s/overlay%d", to.Host, i), stack.WatcherImage})
		if err != nil {
			return err
		}
		mine, theirs, withOverlay = append(mine, m), append(theirs, c), append(withOverlay, k)
	}
	if err := kit.Record(kit.TimedRow("images push REFERENCE (watcher, 2 platforms, registry to registry)", mine, theirs,
		"crane copy of the same image between the same registries", "<= 1.0x")); err != nil {
		return err
	}
	// Naming the image instead builds overlays/prod first (Kustomize): a
	// fixed cost, printed beside the same anchor, not held to a target.
	fmt.Printf("images push -k overlays/prod IMAGE (the overlay built first): %s, %s of crane copy\n",
		withOverlay.Median().Round(time.Millisecond), kit.Ratio(withOverlay, theirs))
	return nil
}

func command(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %v: %s", name, args, err, out)
	}
	return nil
}

func watcherDigest(archive string) (string, error) {
	a, err := images.OpenArchive(archive)
	if err != nil {
		return "", err
	}
	defer a.Close()
	named, ok := a.Image(stack.WatcherImage)
	if !ok {
		return "", fmt.Errorf("%s has no watcher image", archive)
	}
	d, err := named.Index.Digest()
	return d.String(), err
}

// pinnedOverlay is overlays/prod with the watcher pinned to the digest
// just built, as `make release` pins it.
func pinnedOverlay(dir, digest string) (string, error) {
	ov := filepath.Join(dir, "overlay")
	abs, err := filepath.Abs("overlays/prod")
	if err != nil {
		return "", err
	}
	// Kustomize takes no absolute resource paths.
	prod, err := filepath.Rel(ov, abs)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(ov, 0o755); err != nil {
		return "", err
	}
	k := fmt.Sprintf("resources:\n  - %s\nimages:\n  - name: %s\n    newTag: %s\n    digest: %s\n", prod, stack.WatcherImage, version, digest)
	return ov, os.WriteFile(filepath.Join(ov, "kustomization.yaml"), []byte(k), 0o644)
}

func start(binDir, dir string) (*registry.Registry, error) {
	addr, err := registry.FreeAddr("127.0.0.1")
	if err != nil {
		return nil, err
	}
	return registry.Start(context.Background(), registry.Options{Bin: filepath.Join(binDir, "registry"), Dir: dir, Addr: addr})
}
