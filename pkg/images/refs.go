// Package images knows the stack's container images: which ones an overlay
// runs, how a registry mirror renames them (keeping tags and digests), the
// release's image archive, and copying images into a user's registry.
package images

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// Use is one image an overlay runs and the containers that run it.
type Use struct {
	Image  string   `json:"image"`
	UsedBy []string `json:"usedBy"`
}

// Uses lists the images of every pod template in objs, sorted.
func Uses(objs []*unstructured.Unstructured) []Use {
	by := map[string][]string{}
	forEachContainer(objs, func(u *unstructured.Unstructured, c map[string]any) {
		if img, ok := c["image"].(string); ok {
			by[img] = append(by[img], fmt.Sprintf("%s/%s:%v", u.GetKind(), u.GetName(), c["name"]))
		}
	})
	var out []Use
	for img, users := range by {
		sort.Strings(users)
		out = append(out, Use{Image: img, UsedBy: users})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out
}

// Rewrite points every image of objs at registry (when set) and adds the
// pull Secrets to every pod template, so the stack runs from a registry
// of the user's own, image digests unchanged.
func Rewrite(objs []*unstructured.Unstructured, registry string, pullSecrets []string) error {
	var err error
	forEachContainer(objs, func(u *unstructured.Unstructured, c map[string]any) {
		img, ok := c["image"].(string)
		if !ok || registry == "" || err != nil {
			return
		}
		var m Ref
		m, err = Mirror(img, registry)
		c["image"] = m.String()
	})
	if err != nil || len(pullSecrets) == 0 {
		return err
	}
	for _, u := range objs {
		if spec, ok := podSpec(u); ok {
			var refs []any
			for _, s := range pullSecrets {
				refs = append(refs, map[string]any{"name": s})
			}
			spec["imagePullSecrets"] = refs
		}
	}
	return nil
}

// forEachContainer calls fn with every container and init container of
// every pod template in objs; fn may change the container in place.
func forEachContainer(objs []*unstructured.Unstructured, fn func(*unstructured.Unstructured, map[string]any)) {
	for _, u := range objs {
		spec, ok := podSpec(u)
		if !ok {
			continue
		}
		for _, field := range []string{"initContainers", "containers"} {
			list, _ := spec[field].([]any)
			for _, c := range list {
				if m, ok := c.(map[string]any); ok {
					fn(u, m)
				}
			}
		}
	}
}

// podSpec is the pod spec of a workload or a pod, as a map into u.
func podSpec(u *unstructured.Unstructured) (map[string]any, bool) {
	var path []string
	switch u.GetKind() {
	case "Pod":
		path = []string{"spec"}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		path = []string{"spec", "template", "spec"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil, false
	}
	spec, ok, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	m, isMap := spec.(map[string]any)
	return m, ok && isMap
}
