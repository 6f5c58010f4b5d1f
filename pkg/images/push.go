package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// PushOptions say what to copy where.
type PushOptions struct {
	// Images are references as the overlay runs them.
	Images []string
	// Archive, when set, is where the project's own images come from.
	Archive *Archive
	// From is the registry (HOST[/PREFIX]) the other images are read from;
	// empty means they have no source and the push is refused.
	From string
	// To is the registry (HOST[/PREFIX]) they are copied into.
	To string
	// Keychain finds credentials (authn.DefaultKeychain: Docker's config).
	Keychain authn.Keychain
	// Progress gets one line per image.
	Progress io.Writer
}

// Pushed is one image copied.
type Pushed struct {
	Image     string   `json:"image"`
	To        string   `json:"to"`
	Digest    string   `json:"digest"`
	Platforms []string `json:"platforms"`
	From      string   `json:"from"`
}

// source is where one image is read: an index or a single image.
type source struct {
	image, from string
	dst         Ref
	index       v1.ImageIndex
	single      v1.Image
	digest      v1.Hash
}

// Push copies every image into o.To with all its platforms and its digest
// unchanged: blobs and the platforms' manifests first, the index and its
// tag last, so a push that stops half-way leaves no tag pointing at a
// partial image, and a second run uploads only what is missing. Every source is found and
// checked before anything is written.
func Push(ctx context.Context, o PushOptions) ([]Pushed, error) {
	srcs, err := plan(ctx, o)
	if err != nil {
		return nil, err
	}
	var out []Pushed
	for _, s := range srcs {
		fmt.Fprintf(o.Progress, "pushing %s to %s\n", s.image, s.dst.repository())
		p, err := s.push(ctx, o.remoteOptions(ctx))
		if err != nil {
			return out, fmt.Errorf("pushing %s to %s: %w", s.image, s.dst.repository(), explain(err, s.dst.Host))
		}
		out = append(out, p)
	}
	return out, nil
}

func (o PushOptions) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.Keychain)}
}

// plan finds every image's source, refusing the push when one has none
// or when the archive holds another build than the overlay names.
func plan(ctx context.Context, o PushOptions) ([]source, error) {
	var srcs []source
	var missing []string
	for _, img := range o.Images {
		ref, err := Parse(img)
		if err != nil {
			return nil, err
		}
		s := source{image: img}
		if s.dst, err = Mirror(img, o.To); err != nil {
			return nil, err
		}
		switch named, ok := o.archived(ref.Path); {
		case ok:
			err = s.fromArchive(named, ref)
		case o.From != "":
			err = s.fromRegistry(ctx, o, ref)
		default:
			missing = append(missing, img)
			continue
		}
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no source for %s: not in the image archive; pass --from REGISTRY[/PREFIX] to copy them from a registry you can reach, or name only the images to push", strings.Join(missing, ", "))
	}
	return srcs, nil
}

func (o PushOptions) archived(repository string) (Named, bool) {
	if o.Archive == nil {
		return Named{}, false
	}
	return o.Archive.Image(repository)
}

func (s *source) fromArchive(named Named, ref Ref) error {
	d, err := named.Index.Digest()
	if err != nil {
		return err
	}
	if ref.Digest != "" && ref.Digest != d.String() {
		return fmt.Errorf("the image archive holds %s@%s, but the overlay runs %s: the archive is of another release; use the archive of the plugin's release (kubectl stack version)", named.Ref, d, ref.String())
	}
	s.index, s.digest, s.from = named.Index, d, "archive "+named.Ref
	return nil
}

func (s *source) fromRegistry(ctx context.Context, o PushOptions, ref Ref) error {
	src, err := Mirror(s.image, o.From)
	if err != nil {
		return err
	}
	r, err := name.ParseReference(src.Pinned())
	if err != nil {
		return err
	}
	desc, err := remote.Get(r, o.remoteOptions(ctx)...)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src.Pinned(), explain(err, src.Host))
	}
	s.digest, s.from = desc.Digest, src.Pinned()
	if desc.MediaType.IsIndex() {
		s.index, err = desc.ImageIndex()
	} else {
		s.single, err = desc.Image()
	}
	return err
}

// push writes the layers and the platforms' manifests by digest, and the
// index last, under its tag when it has one: one request that makes the
// whole image visible, or nothing.
func (s *source) push(ctx context.Context, opts []remote.Option) (Pushed, error) {
	repo, err := name.NewRepository(s.dst.repository())
	if err != nil {
		return Pushed{}, err
	}
	var ref name.Reference = repo.Digest(s.digest.String())
	if s.dst.Tag != "" {
		ref = repo.Tag(s.dst.Tag)
	}
	if s.index != nil {
		err = remote.WriteIndex(ref, s.index, opts...)
	} else {
		err = remote.Write(ref, s.single, opts...)
	}
	if err != nil {
		return Pushed{}, err
	}
	dst := s.dst
	dst.Digest = s.digest.String()
	return Pushed{Image: s.image, To: dst.String(), Digest: dst.Digest, Platforms: s.platforms(), From: s.from}, nil
}

func (s *source) platforms() []string {
	if s.index == nil {
		if cfg, err := s.single.ConfigFile(); err == nil {
			return []string{cfg.Platform().String()}
		}
		return nil
	}
	return Platforms(s.index)
}

// Platforms lists an index's platforms.
func Platforms(idx v1.ImageIndex) []string {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range m.Manifests {
		if d.Platform != nil {
			out = append(out, d.Platform.String())
		}
	}
	return out
}

// explain names what a registry's refusal means for the user, keeping the
// registry's own words and the error chain.
func explain(err error, host string) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("registry %s refused the credentials (log in with `docker login %s`; credentials are read from $DOCKER_CONFIG or ~/.docker/config.json): %w", host, host, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("the connection to %s was interrupted (run the push again: what is there is not uploaded twice): %w", host, err)
	}
	return err
}

// PrintPushed prints what was pushed as `kubectl stack images push` does.
func PrintPushed(w io.Writer, pushed []Pushed, o table.Options) error {
	var rows [][]string
	for _, p := range pushed {
		rows = append(rows, []string{p.To, strings.Join(p.Platforms, ","), p.From})
	}
	return table.Write(w, []string{"PUSHED", "PLATFORMS", "FROM"}, rows, o)
}
