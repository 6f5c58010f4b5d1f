package images

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func randomIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	idx, err := random.Index(4096, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func writeArchive(t *testing.T, idx v1.ImageIndex) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "images.tar")
	if err := WriteArchive(file, []Named{{Ref: "kubectl-stack/watcher:v9.9.9", Index: idx}}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestArchiveRoundTripsAndIsReproducible(t *testing.T) {
	idx := randomIndex(t)
	first, second := writeArchive(t, idx), writeArchive(t, idx)
	a, b := mustRead(t, first), mustRead(t, second)
	if !bytes.Equal(a, b) {
		t.Error("two archives of one index differ")
	}
	arch, err := OpenArchive(first)
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	got, ok := arch.Image("kubectl-stack/watcher")
	want, _ := idx.Digest()
	if d, _ := got.Index.Digest(); !ok || d != want || got.Ref != "kubectl-stack/watcher:v9.9.9" {
		t.Errorf("archive holds %v %s, want %s", ok, d, want)
	}
}

func mustRead(t *testing.T, file string) []byte {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tamper rewrites the archive with one byte changed in its largest blob.
func tamper(t *testing.T, file string) {
	var entries []*tar.Header
	var bodies [][]byte
	tr := tar.NewReader(bytes.NewReader(mustRead(t, file)))
	largest := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if len(bodies) > 0 && len(body) > len(bodies[largest]) {
			largest = len(bodies)
		}
		entries, bodies = append(entries, hdr), append(bodies, body)
	}
	bodies[largest][len(bodies[largest])/2] ^= 0xff
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for i, hdr := range entries {
		_ = tw.WriteHeader(hdr)
		_, _ = tw.Write(bodies[i])
	}
	_ = tw.Close()
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedArchiveIsRefused(t *testing.T) {
	file := writeArchive(t, randomIndex(t))
	tamper(t, file)
	_, err := OpenArchive(file)
	if err == nil || !strings.Contains(err.Error(), "fails verification against its digest") {
		t.Fatalf("a tampered archive: %v", err)
	}
}

// A file that is not a tar, or is cut short, is named as such.
func TestArchiveThatIsNoTarIsNamed(t *testing.T) {
	whole, err := os.ReadFile(writeArchive(t, randomIndex(t)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, c := range map[string]struct {
		content []byte
		want    string
	}{
		"short text": {[]byte("not an archive\n"), "is not a tar archive"},
		"long text":  {bytes.Repeat([]byte("not an archive\n"), 100), "is not a tar archive"},
		"truncated":  {whole[:len(whole)/2+7], "truncated"},
	} {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".tar")
		if err := os.WriteFile(file, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenArchive(file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestArchiveCheckedAgainstItsSHA256File(t *testing.T) {
	file := writeArchive(t, randomIndex(t))
	if err := os.WriteFile(file+".sha256", []byte(strings.Repeat("0", 64)+"  images.tar\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenArchive(file)
	if err == nil || !strings.Contains(err.Error(), "images.tar.sha256 says 000") {
		t.Fatalf("an archive its .sha256 disowns: %v", err)
	}
}

// An archive of another release is refused before anything is written:
// the push would otherwise put an image the overlay does not run.
func TestPushRefusesAnArchiveOfAnotherRelease(t *testing.T) {
	arch, err := OpenArchive(writeArchive(t, randomIndex(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	other := "kubectl-stack/watcher:v9.9.9@sha256:" + strings.Repeat("b", 64)
	_, err = Push(context.Background(), PushOptions{Images: []string{other}, Archive: arch, To: "127.0.0.1:1", Keychain: authn.DefaultKeychain, Progress: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "the archive is of another release") {
		t.Fatalf("push of another release's archive: %v", err)
	}
	_, err = Push(context.Background(), PushOptions{Images: []string{"nginx:1"}, Archive: arch, To: "127.0.0.1:1", Keychain: authn.DefaultKeychain, Progress: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "no source for nginx:1") {
		t.Fatalf("push of an image with no source: %v", err)
	}
}
