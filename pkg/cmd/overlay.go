package cmd

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/images"
	"github.com/kubectl-stack/kubectl-stack/pkg/images/podimages"
)

// overlayFlags are the flags of the verbs that read an overlay.
type overlayFlags struct {
	Kustomize string
	imageFlags
	// cmd is the verb: its --cache-dir (kubectl's, inherited from the
	// root) is where renders are kept.
	cmd *cobra.Command
}

func (o *overlayFlags) addFlags(cmd *cobra.Command) {
	o.cmd = cmd
	cmd.Flags().StringVarP(&o.Kustomize, "kustomize", "k", "",
		"overlay folder to build (default: the dev overlay built into the plugin; overlays/dev and overlays/prod work without a checkout)")
	_ = cmd.MarkFlagDirname("kustomize")
}

// imageFlags run the stack's images from a registry of the user's own.
type imageFlags struct {
	Registry    string
	PullSecrets []string
}

func (o *imageFlags) addImageFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Registry, "registry", "",
		"run every image from this registry, HOST[:PORT][/PREFIX], same path, tag and digest (kubectl stack images push --to fills it)")
	cmd.Flags().StringSliceVar(&o.PullSecrets, "image-pull-secret", nil,
		"name of a docker-registry Secret in the stack's namespace every pod pulls with (repeatable)")
}

// validateRegistry checks --registry without I/O; Validate calls it.
func (o *imageFlags) validateRegistry() error {
	if o.Registry == "" {
		return nil
	}
	r, err := images.ParseRegistry(o.Registry)
	o.Registry = r
	return err
}

// render builds the overlay with the images rewritten to --registry,
// which Validate checked.
func (o *overlayFlags) render() (*build.Rendered, error) {
	r, err := build.Render(o.Kustomize, o.renderCacheDir())
	if err != nil {
		return nil, err
	}
	return r, podimages.Rewrite(r.Objects, o.Registry, o.PullSecrets)
}

// renderCacheDir is kubectl-stack/render in kubectl's --cache-dir (by
// default ~/.kube/cache, beside the discovery cache); empty, so no cache,
// when the verb has no such flag.
func (o *overlayFlags) renderCacheDir() string {
	if o.cmd == nil {
		return ""
	}
	f := o.cmd.Flag("cache-dir")
	if f == nil || f.Value.String() == "" {
		return ""
	}
	return filepath.Join(f.Value.String(), "kubectl-stack", "render")
}

// load builds the overlay against the target's cluster and namespace.
func (o *overlayFlags) load(t target) (*build.Rendered, *apply.Set, error) {
	r, err := o.render()
	if err != nil {
		return nil, nil, err
	}
	set, err := apply.FromObjects(t.clients, r.Objects, t.namespace, t.explicit)
	return r, set, err
}
