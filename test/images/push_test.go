//go:build integration

// Package images tests `images push` against a real registry
// (distribution, built by hack/build-binaries.sh): every platform and the
// digest kept, credentials refused by the registry, and a registry that
// dies mid-push. A missing registry program fails the run; it never skips.
package images

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kubectl-stack/kubectl-stack/pkg/images"
	"github.com/kubectl-stack/kubectl-stack/testrig/pki"
	"github.com/kubectl-stack/kubectl-stack/testrig/registry"
)

var (
	registryBin string
	ca          *pki.CA
)

func TestMain(m *testing.M) {
	bin := os.Getenv("KUBECTL_STACK_BIN_DIR")
	if bin == "" {
		fmt.Fprintln(os.Stderr, "FAIL: KUBECTL_STACK_BIN_DIR is not set: set it to the folder hack/build-binaries.sh prints")
		os.Exit(1)
	}
	registryBin = filepath.Join(bin, "registry")
	dir, err := os.MkdirTemp("", "kubectl-stack-images-test-")
	if err == nil {
		ca, err = pki.NewCA(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: making the test CA:", err)
		os.Exit(1)
	}
	// Go reads the trusted roots once, from here: the TLS registry's CA.
	os.Setenv("SSL_CERT_FILE", ca.CertFile)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T, tls bool, users map[string]string) *registry.Registry {
	t.Helper()
	addr, err := registry.FreeAddr("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	o := registry.Options{Bin: registryBin, Dir: t.TempDir(), Addr: addr, Users: users}
	if tls {
		o.CA = ca
	}
	r, err := registry.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// archive writes idx as the release would and opens it.
func archive(t *testing.T, idx v1.ImageIndex) *images.Archive {
	t.Helper()
	file := filepath.Join(t.TempDir(), "images.tar")
	if err := images.WriteArchive(file, []images.Named{{Ref: "kubectl-stack/watcher:v9.9.9", Index: idx}}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	a, err := images.OpenArchive(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func randomIndex(t *testing.T, layerBytes int64) (v1.ImageIndex, string) {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64", "s390x"} {
		img, err := random.Image(layerBytes, 2)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := img.ConfigFile()
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = "linux", arch
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return idx, "kubectl-stack/watcher:v9.9.9@" + d.String()
}

func push(a *images.Archive, image, to string, kc authn.Keychain) error {
	_, err := images.Push(context.Background(), images.PushOptions{Images: []string{image}, Archive: a, To: to, Keychain: kc, Progress: io.Discard})
	return err
}

// remoteDigest is the digest the registry serves for ref, or its error.
func remoteDigest(ref string, kc authn.Keychain) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(r, remote.WithAuthFromKeychain(kc))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

func TestPushCopiesEveryPlatformUnderTheSameDigest(t *testing.T) {
	reg := start(t, false, nil)
	idx, image := randomIndex(t, 1024)
	a := archive(t, idx)
	pushed, err := images.Push(context.Background(), images.PushOptions{Images: []string{image}, Archive: a, To: reg.Host + "/team", Keychain: authn.DefaultKeychain, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	if len(pushed) != 1 || pushed[0].Digest != want.String() || len(pushed[0].Platforms) != 3 {
		t.Fatalf("pushed %+v, want one image %s with 3 platforms", pushed, want)
	}
	ref, _ := name.ParseReference(reg.Host + "/team/kubectl-stack/watcher:v9.9.9")
	got, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != want {
		t.Errorf("the registry serves %s for the tag, want %s", d, want)
	}
	m, _ := got.IndexManifest()
	for _, desc := range m.Manifests {
		if _, err := got.Image(desc.Digest); err != nil {
			t.Errorf("platform %v: %v", desc.Platform, err)
		}
	}
}

// staticKeychain answers every registry with one user and password.
type staticKeychain struct{ user, password string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.password}), nil
}

func TestPushWithCredentialsTheRegistryRefuses(t *testing.T) {
	reg := start(t, true, map[string]string{"pusher": "right-password"})
	idx, image := randomIndex(t, 1024)
	a := archive(t, idx)
	err := push(a, image, reg.Host, staticKeychain{"pusher", "wrong-password"})
	var terr *transport.Error
	if err == nil || !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized || !strings.Contains(err.Error(), "refused the credentials") {
		t.Fatalf("push with a wrong password: %v, want the registry's 401 named", err)
	}
	// Docker's own configuration, as users have it after `docker login`.
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("pusher:right-password"))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	if err := push(a, image, reg.Host, authn.DefaultKeychain); err != nil {
		t.Fatalf("push with Docker's credentials: %v", err)
	}
}

// A registry that dies mid-push leaves no tag on a partial image; the same
// push run again completes.
func TestPushInterruptedLeavesNoTagAndARerunCompletes(t *testing.T) {
	reg := start(t, false, nil)
	idx, image := randomIndex(t, 8<<20)
	a := archive(t, idx)
	done := make(chan error, 1)
	go func() { done <- push(a, image, reg.Host, authn.DefaultKeychain) }()
	if err := waitForBlob(reg, done); err != nil {
		t.Fatal(err)
	}
	if err := reg.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("the push with its registry killed mid-push: %v, want it said interrupted", err)
	}
	t.Logf("interrupted push: %v", err)
	if err := reg.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	repo := reg.Host + "/kubectl-stack/watcher"
	want, _ := idx.Digest()
	for _, ref := range []string{repo + ":v9.9.9", repo + "@" + want.String()} {
		if d, err := remoteDigest(ref, authn.DefaultKeychain); err == nil {
			t.Errorf("after the interrupted push the registry serves %s as %s", ref, d)
		}
	}
	if err := push(a, image, reg.Host, authn.DefaultKeychain); err != nil {
		t.Fatalf("the push run again: %v", err)
	}
	if d, err := remoteDigest(repo+":v9.9.9", authn.DefaultKeychain); err != nil || d != want.String() {
		t.Errorf("after the rerun the tag is %s, %v; want %s", d, err, want)
	}
}

// waitForBlob returns once the registry has stored a first whole blob,
// while the push is still running.
func waitForBlob(reg *registry.Registry, done <-chan error) error {
	blobs := filepath.Join(reg.StorageDir(), "docker", "registry", "v2", "blobs")
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if data, _ := filepath.Glob(filepath.Join(blobs, "sha256", "*", "*", "data")); len(data) > 0 {
			return nil
		}
		select {
		case err := <-done:
			return fmt.Errorf("the push ended before the registry stored a blob: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("no blob stored in 2m:\n%s", reg.Log())
}
