// Package images knows the stack's container images: how a registry mirror
// renames them (keeping tags and digests), the release's image archive,
// and copying images into a user's registry. It links no Kubernetes
// package: the front binary pushes images with it (package front);
// podimages reads and rewrites the images of an overlay's objects.
package images

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Ref is an image reference split as Kustomize writes them:
// [HOST/]PATH[:TAG][@DIGEST].
type Ref struct {
	Host, Path, Tag, Digest string
}

// Parse splits an image reference.
func Parse(image string) (Ref, error) {
	var r Ref
	rest := image
	if i := strings.Index(rest, "@"); i >= 0 {
		rest, r.Digest = rest[:i], rest[i+1:]
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		rest, r.Tag = rest[:i], rest[i+1:]
	}
	r.Path = rest
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Host, r.Path = first, after
	}
	if r.Host == "docker.io" || r.Host == "index.docker.io" {
		r.Host, r.Path = "", strings.TrimPrefix(r.Path, "library/")
	}
	if err := r.validate(); err != nil {
		return Ref{}, fmt.Errorf("image %q: %w", image, err)
	}
	return r, nil
}

// validate checks the reference with go-containerregistry's rules.
func (r Ref) validate() error {
	if r.Digest != "" {
		_, err := name.NewDigest(r.repository() + "@" + r.Digest)
		return err
	}
	_, err := name.NewTag(r.repository() + ":" + orLatest(r.Tag))
	return err
}

func orLatest(tag string) string {
	if tag == "" {
		return "latest"
	}
	return tag
}

func (r Ref) repository() string {
	if r.Host == "" {
		return r.Path
	}
	return r.Host + "/" + r.Path
}

// String writes the reference back, tag and digest kept.
func (r Ref) String() string {
	s := r.repository()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Pinned is the reference a registry client fetches: by digest when there
// is one (the tag is then only for people), else by tag.
func (r Ref) Pinned() string {
	if r.Digest != "" {
		return r.repository() + "@" + r.Digest
	}
	return r.repository() + ":" + orLatest(r.Tag)
}

// Repository is an image's name without registry host, tag or digest, as
// the archive and the manifests name the project's own images.
func Repository(image string) string {
	r, err := Parse(image)
	if err != nil {
		return image
	}
	return r.Path
}

// Mirror is the reference of image in registry (HOST[:PORT][/PREFIX]): the
// same path, tag and digest under another registry, as `images push --to`
// stores it and `apply --registry` runs it.
func Mirror(image, registry string) (Ref, error) {
	r, err := Parse(image)
	if err != nil {
		return Ref{}, err
	}
	host, prefix, _ := strings.Cut(registry, "/")
	r.Host, r.Path = host, strings.TrimSuffix(prefix+"/"+r.Path, "/")
	r.Path = strings.TrimPrefix(r.Path, "/")
	if err := r.validate(); err != nil {
		return Ref{}, fmt.Errorf("image %q in registry %q: %w", image, registry, err)
	}
	return r, nil
}

// ParseRegistry checks a --registry or --to value: HOST[:PORT][/PREFIX],
// no scheme, tag or digest.
func ParseRegistry(s string) (string, error) {
	fix := "give HOST[:PORT][/PREFIX], such as registry.example:5000/team"
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("registry %q has a scheme: %s", s, fix)
	}
	s = strings.TrimSuffix(s, "/")
	host, prefix, _ := strings.Cut(s, "/")
	if _, err := name.NewRegistry(host, name.StrictValidation); err != nil || host == "" {
		return "", fmt.Errorf("registry %q: %q is not a registry host: %s", s, host, fix)
	}
	if _, port, err := net.SplitHostPort(host); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("registry %q: port %q is not a port (1-65535): %s", s, port, fix)
		}
	}
	if prefix != "" {
		if _, err := name.NewRepository(host+"/"+prefix, name.StrictValidation); err != nil || strings.ContainsAny(prefix, ":@") {
			return "", fmt.Errorf("registry %q: %q is not a repository prefix (lower-case letters, digits, . _ - /): %s", s, prefix, fix)
		}
	}
	return s, nil
}
