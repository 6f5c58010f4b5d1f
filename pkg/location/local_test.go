package location

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocalRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	loc, err := Parse(dir, S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := loc.Put(ctx, "a/dump.sql.gz", strings.NewReader("data")); err != nil || n != 4 {
		t.Fatalf("put: %d, %v", n, err)
	}
	r, err := loc.Get(ctx, "a/dump.sql.gz")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != "data" {
		t.Errorf("got %q", got)
	}
	if _, err := loc.Get(ctx, "a/manifest.json"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing object: %v, want ErrNotFound", err)
	}
	// A partial file (a killed upload) is never listed, and swept.
	partial := filepath.Join(dir, "a", ".manifest.json"+partialMark+"1")
	if err := os.WriteFile(partial, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, err := loc.List(ctx)
	if err != nil || len(objs) != 1 || objs[0].Key != "a/dump.sql.gz" || objs[0].Size != 4 {
		t.Fatalf("list: %+v, %v", objs, err)
	}
	if swept, err := loc.Sweep(ctx, time.Now().Add(-time.Hour)); err != nil || len(swept) != 0 {
		t.Errorf("a fresh partial file was swept: %v, %v", swept, err)
	}
	if swept, err := loc.Sweep(ctx, time.Now().Add(time.Second)); err != nil || len(swept) != 1 {
		t.Errorf("sweep: %v, %v", swept, err)
	}
	if err := loc.Delete(ctx, []string{"a/dump.sql.gz", "a/gone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the emptied folder stays: %v", err)
	}
}

// A failed stream leaves nothing under the object's name.
func TestLocalPutFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	loc, _ := Parse(dir, S3Options{})
	broken := io.MultiReader(strings.NewReader("half"), errReader{})
	if _, err := loc.Put(context.Background(), "b/dump.sql", broken); err == nil {
		t.Fatal("no error")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "b"))
	if len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestParseRefuses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	_ = os.WriteFile(file, nil, 0o600)
	t.Setenv("AWS_ENDPOINT_URL", "")
	for raw, want := range map[string]string{
		"":                "no backup location",
		"/no/such/folder": "does not exist",
		file:              "is a file",
		"gs://bucket":     "only s3://",
		"s3://":           "names no bucket",
		"s3://bucket/p":   "no object store endpoint",
	} {
		_, err := Parse(raw, S3Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", raw, err, want)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	if _, err := Parse("s3://bucket/p", S3Options{Endpoint: "http://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "no object store credentials") {
		t.Errorf("no credentials: %v", err)
	}
	if _, err := Parse("s3://bucket/p", S3Options{Endpoint: "127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "is not a URL") {
		t.Errorf("bad endpoint: %v", err)
	}
}
