package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/images"
	"github.com/kubectl-stack/kubectl-stack/pkg/images/podimages"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var imagesExample = templates.Examples(`
	# The images prod runs, with their digests
	kubectl stack images -k overlays/prod

	# Their platforms, read from the release's image archive
	kubectl stack images -k overlays/prod --archive kubectl-stack_v0.1.0_images.tar

	# Where they run from with --registry
	kubectl stack images -k overlays/prod --registry registry.example:5000/stack -o json`)

// ImagesOptions are the flags and state of `kubectl stack images`.
type ImagesOptions struct {
	overlayFlags
	*printFlags
	Archive string

	genericiooptions.IOStreams
}

// NewCmdImages returns `kubectl stack images` and its push subcommand.
func NewCmdImages(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ImagesOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "images [-k DIR] [--registry REGISTRY] [--archive FILE]",
		Short: "List the images an overlay runs: reference, digest, platforms",
		Long: templates.LongDesc(`
			List every image the overlay's pods run (containers and init containers of every
			workload, CronJobs included), with its digest and the containers that run it. With
			--registry, the references apply --registry would run. With --archive (the release's
			kubectl-stack_VERSION_images.tar), the platforms of the images it holds.
			The cluster is not contacted.
			Exit status: 0 listed, 1 the overlay or the archive could not be read, 2 bad flags.`),
		Example: imagesExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	cmd.Flags().StringVar(&o.Registry, "registry", "", "show the references as run from this registry, HOST[:PORT][/PREFIX]")
	addArchiveFlag(cmd, &o.Archive)
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	cmd.AddCommand(NewCmdImagesPush(f, streams))
	return cmd
}

func addArchiveFlag(cmd *cobra.Command, archive *string) {
	cmd.Flags().StringVar(archive, "archive", "", "the release's image archive (kubectl-stack_VERSION_images.tar; checked against FILE.sha256 when beside it)")
	_ = cmd.MarkFlagFilename("archive", "tar")
}

// Complete builds the printer.
func (o *ImagesOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks --registry.
func (o *ImagesOptions) Validate() error { return o.validateRegistry() }

// imageRow is one image as `images` prints it.
type imageRow struct {
	Image     string   `json:"image"`
	Digest    string   `json:"digest,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	UsedBy    []string `json:"usedBy"`
}

// Run builds the overlay, opens the archive and prints the images.
func (o *ImagesOptions) Run(context.Context) error {
	r, err := o.render()
	if err != nil {
		return err
	}
	archive, err := openArchive(o.Archive)
	if err != nil {
		return err
	}
	defer archive.Close()
	var rows []imageRow
	for _, u := range podimages.Uses(r.Objects) {
		ref, err := images.Parse(u.Image)
		if err != nil {
			return err
		}
		row := imageRow{Image: u.Image, Digest: ref.Digest, UsedBy: u.UsedBy}
		if archive != nil {
			if n, ok := archive.Image(ref.Path); ok && sameDigest(n, ref.Digest) {
				row.Platforms = images.Platforms(n.Index)
			}
		}
		rows = append(rows, row)
	}
	return o.print(o.Out, output{kind: kindImage, data: rows, table: func(w io.Writer, to table.Options) error {
		return printImages(w, rows, to)
	}})
}

// openArchive opens the release's image archive when one is named (nil,
// whose Close does nothing, when none is).
func openArchive(file string) (*images.Archive, error) {
	if file == "" {
		return nil, nil
	}
	return images.OpenArchive(file)
}

// sameDigest says whether the archive's image is the one the overlay runs.
func sameDigest(n images.Named, digest string) bool {
	d, err := n.Index.Digest()
	return err == nil && (digest == "" || digest == d.String())
}

func printImages(w io.Writer, rows []imageRow, o table.Options) error {
	var out [][]string
	for _, r := range rows {
		ref, _ := images.Parse(r.Image)
		ref.Digest = ""
		out = append(out, []string{ref.String(), orDash(r.Digest), orDash(strings.Join(r.Platforms, ",")), strings.Join(r.UsedBy, ",")})
	}
	return table.Write(w, []string{"IMAGE", "DIGEST", "PLATFORMS", "USED BY"}, out, o)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var imagesPushExample = templates.Examples(`
	# Air-gapped: copy the release's images into your registry, then run prod from it
	kubectl stack images push --archive kubectl-stack_v0.1.0_images.tar --to registry.example:5000/stack \
	    kubectl-stack/watcher kubectl-stack/kubectl-stack
	kubectl stack apply -k overlays/prod --registry registry.example:5000/stack

	# Every image prod runs: the project's from the archive, the public ones from a mirror you reach
	kubectl stack images push -k overlays/prod --archive kubectl-stack_v0.1.0_images.tar \
	    --from mirror.example/dockerhub --to registry.example:5000/stack`)

// ImagesPushOptions are the flags and state of `kubectl stack images push`.
type ImagesPushOptions struct {
	overlayFlags
	*printFlags
	Archive, From, To string

	args []string
	genericiooptions.IOStreams
}

// NewCmdImagesPush returns `kubectl stack images push`.
func NewCmdImagesPush(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ImagesPushOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "push --to REGISTRY[/PREFIX] [--archive FILE] [--from REGISTRY] [IMAGE|REFERENCE...]",
		Short: "Copy the overlay's images into your registry, every platform, digests unchanged",
		Long: templates.LongDesc(`
			Copy the images the overlay runs (or only the IMAGEs named, as repositories such as
			kubectl-stack/watcher; a REFERENCE with a tag or digest is copied as given, with no
			overlay built) into REGISTRY[/PREFIX] under the same path, tag and digest,
			with every platform: the project's images from the release's archive (--archive),
			the others from the registry --from names. Manifests are written by digest and the
			tag last, so a push that stops half-way leaves no tag on a partial image; run it
			again and it uploads only what is missing. Every source is found and verified
			before anything is written: a tampered archive is refused. Credentials are Docker's
			($DOCKER_CONFIG or ~/.docker/config.json, credential helpers included).
			Then run the stack from it: kubectl stack apply --registry REGISTRY[/PREFIX].
			Exit status: 0 pushed, 1 a registry or the archive failed, 2 bad flags.`),
		Example: imagesPushExample,
		RunE:    runVerb(f, o),
	}
	o.overlayFlags.addFlags(cmd)
	addArchiveFlag(cmd, &o.Archive)
	cmd.Flags().StringVar(&o.To, "to", "", "registry to copy into, HOST[:PORT][/PREFIX]")
	cmd.Flags().StringVar(&o.From, "from", "", "registry to read the images the archive does not hold, HOST[:PORT][/PREFIX]")
	o.printFlags.addFlags(cmd, tableFlags{noHeaders: true})
	return cmd
}

// Complete builds the printer and keeps the images named.
func (o *ImagesPushOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.args = args
	return o.printFlags.complete()
}

// pick returns the images to push: references given whole (with a tag or
// a digest) as they are, with no overlay to build; names picked from the
// overlay's images; the overlay's images when nothing is named.
func (o *ImagesPushOptions) pick(args []string) ([]string, error) {
	var refs, names []string
	for _, a := range args {
		if r, err := images.Parse(a); err == nil && (r.Tag != "" || r.Digest != "") {
			refs = append(refs, a)
		} else {
			names = append(names, a)
		}
	}
	if len(args) > 0 && len(names) == 0 {
		return refs, nil
	}
	r, err := o.render()
	if err != nil {
		return nil, err
	}
	picked, err := pickNamed(podimages.Uses(r.Objects), names)
	if err != nil {
		return nil, usageError(err)
	}
	return append(refs, picked...), nil
}

// pickNamed keeps the images whose repository is named (all when none is).
func pickNamed(uses []podimages.Use, names []string) ([]string, error) {
	var out []string
	found := map[string]bool{}
	for _, u := range uses {
		repo := images.Repository(u.Image)
		if len(names) == 0 || contains(names, repo) {
			out = append(out, u.Image)
			found[repo] = true
		}
	}
	for _, n := range names {
		if !found[n] {
			return nil, fmt.Errorf("the overlay runs no image %q: `kubectl stack images` lists them", n)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Validate checks the registries.
func (o *ImagesPushOptions) Validate() error {
	if o.To == "" {
		return fmt.Errorf("--to is required: the registry to copy into, HOST[:PORT][/PREFIX]")
	}
	var err error
	if o.To, err = images.ParseRegistry(o.To); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if o.From != "" {
		if o.From, err = images.ParseRegistry(o.From); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	if o.Archive == "" && o.From == "" {
		return fmt.Errorf("nothing to push from: pass --archive FILE (the release's images) or --from REGISTRY")
	}
	return o.validateRegistry()
}

// Run picks the images, opens the archive, pushes and prints what was
// pushed, also when a later image fails.
func (o *ImagesPushOptions) Run(ctx context.Context) error {
	picked, err := o.pick(o.args)
	if err != nil {
		return err
	}
	archive, err := openArchive(o.Archive)
	if err != nil {
		return err
	}
	defer archive.Close()
	pushed, err := images.Push(ctx, images.PushOptions{
		Images: picked, Archive: archive, From: o.From, To: o.To,
		Keychain: authn.DefaultKeychain, Progress: o.ErrOut,
	})
	if err != nil && len(pushed) == 0 {
		return err
	}
	if perr := o.print(o.Out, output{kind: kindPushedImage, data: pushed, table: func(w io.Writer, to table.Options) error {
		return images.PrintPushed(w, pushed, to)
	}}); perr != nil && err == nil {
		err = perr
	}
	return err
}
