// Command imagebuild makes image tarballs that `ctr images import` and
// `kind load image-archive` accept, with no registry and no Docker: a root
// filesystem tarball wrapped as a one-layer image, or one of the project's
// own images for this machine's platform, built by the release's code
// (hack/images/imagebuild), so the image tested is the image shipped:
//
//	go run ./hack/images/wrap -layer rootfs.tar -ref nginx:1.27 -out nginx.tar \
//	    -entrypoint /usr/sbin/nginx -user 101 -env PATH=/usr/bin:/bin
//	go run ./hack/images/wrap -program kubectl-stack/watcher -ref kubectl-stack/watcher:dev -out watcher.tar
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kubectl-stack/kubectl-stack/hack/images/imagebuild"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var env, entrypoint, cmd list
	layer := flag.String("layer", "", "root filesystem as a tar file (made with --numeric-owner)")
	ref := flag.String("ref", "", "the image's reference, exactly as manifests name it")
	out := flag.String("out", "", "image tarball to write")
	user := flag.String("user", "", "user the image runs as")
	workdir := flag.String("workdir", "/", "working directory")
	flag.Var(&env, "env", "NAME=VALUE, repeatable")
	flag.Var(&entrypoint, "entrypoint", "entrypoint argument, repeatable")
	flag.Var(&cmd, "cmd", "cmd argument, repeatable")
	program := flag.String("program", "", "build this project image (its repository, such as kubectl-stack/watcher) instead of wrapping -layer")
	flag.Parse()
	if (*layer == "") == (*program == "") || *ref == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: imagebuild -layer FILE -ref NAME:TAG -out FILE [-entrypoint ARG]... [-cmd ARG]... [-env K=V]... [-user U]")
		fmt.Fprintln(os.Stderr, "       imagebuild -program REPOSITORY -ref NAME:TAG -out FILE")
		os.Exit(2)
	}
	var err error
	if *program != "" {
		err = buildProgram(*program, *ref, *out)
	} else {
		err = build(*layer, *ref, *out, v1.Config{Entrypoint: entrypoint, Cmd: cmd, Env: env, User: *user, WorkingDir: *workdir})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// buildProgram builds one of the project's images for this machine, as the
// release builds it, with the version "dev".
func buildProgram(repository, ref, out string) error {
	for _, p := range imagebuild.Programs {
		if p.Repository != repository {
			continue
		}
		root, err := os.Getwd()
		if err != nil {
			return err
		}
		opts := imagebuild.Options{Root: root, Version: "dev", Revision: "dev", Created: time.Unix(0, 0).UTC()}
		img, err := imagebuild.Image(context.Background(), p, opts, v1.Platform{OS: "linux", Architecture: runtime.GOARCH})
		if err != nil {
			return err
		}
		return write(ref, out, img)
	}
	return fmt.Errorf("-program %q is not one of the project's images", repository)
}

func build(layerPath, ref, out string, cfg v1.Config) error {
	layer, err := tarball.LayerFromFile(layerPath)
	if err != nil {
		return fmt.Errorf("layer %s: %w", layerPath, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	file, err := img.ConfigFile()
	if err != nil {
		return err
	}
	file = file.DeepCopy()
	file.Config = cfg
	file.OS, file.Architecture = "linux", runtime.GOARCH
	img, err = mutate.ConfigFile(img, file)
	if err != nil {
		return err
	}
	return write(ref, out, img)
}

// write saves img as an image tarball named ref, whole or not at all.
func write(ref, out string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("reference %q: %w", ref, err)
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
