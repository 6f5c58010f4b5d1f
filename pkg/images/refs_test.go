package images

import (
	"strings"
	"testing"
)

func TestMirrorKeepsPathTagAndDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	for _, c := range []struct{ image, registry, want string }{
		{"nginx:1.27.3@" + d, "10.0.0.1:5000", "10.0.0.1:5000/nginx:1.27.3@" + d},
		{"kubectl-stack/watcher:v0.1.0@" + d, "reg.example/team/mirror", "reg.example/team/mirror/kubectl-stack/watcher:v0.1.0@" + d},
		{"docker.io/library/busybox:1.36.1", "reg.example", "reg.example/busybox:1.36.1"},
		{"ghcr.io/org/app@" + d, "localhost:5000/p", "localhost:5000/p/org/app@" + d},
		{"mysql", "reg.example", "reg.example/mysql"},
	} {
		got, err := Mirror(c.image, c.registry)
		if err != nil || got.String() != c.want {
			t.Errorf("Mirror(%q, %q) = %q, %v; want %q", c.image, c.registry, got, err, c.want)
		}
	}
}

func TestParseRegistryRefusesWhatIsNotARegistry(t *testing.T) {
	for _, ok := range []string{"reg.example", "10.0.0.1:5000", "localhost:5000/team/sub", "reg.example/p/"} {
		if _, err := ParseRegistry(ok); err != nil {
			t.Errorf("ParseRegistry(%q): %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"https://reg.example":    "has a scheme",
		"reg.example/Team":       "not a repository prefix",
		"reg.example/team:v1":    "not a repository prefix",
		"reg.example/t@sha256:0": "not a repository prefix",
		"":                       "not a registry host",
		"reg example":            "not a registry host",
		"host:99999":             "is not a port",
		"host:0/team":            "is not a port",
	} {
		_, err := ParseRegistry(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseRegistry(%q) = %v, want a one-line error with %q", in, err, want)
		}
	}
}
