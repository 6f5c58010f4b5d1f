// Command imagebuild wraps a root filesystem tarball as a one-layer OCI image
// tarball that `ctr images import` and `kind load image-archive` accept,
// with no registry and no Docker:
//
//	go run ./hack/imagebuild -layer rootfs.tar -ref nginx:1.27 -out nginx.tar \
//	    -entrypoint /usr/sbin/nginx -user 101 -env PATH=/usr/bin:/bin
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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
	flag.Parse()
	if *layer == "" || *ref == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: imagebuild -layer FILE -ref NAME:TAG -out FILE [-entrypoint ARG]... [-cmd ARG]... [-env K=V]... [-user U]")
		os.Exit(2)
	}
	cfg := v1.Config{Entrypoint: entrypoint, Cmd: cmd, Env: env, User: *user, WorkingDir: *workdir}
	if err := build(*layer, *ref, *out, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func build(layerPath, ref, out string, cfg v1.Config) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("reference %q: %w", ref, err)
	}
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
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
