package report

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// A part that fails does not fail the bundle: its files are left out and
// failures.txt names it with its error.
func TestABundleListsThePartsThatFailed(t *testing.T) {
	parts := []Part{
		{"good", func(context.Context) ([]File, error) { return []File{{"good.txt", []byte("fine")}}, nil }},
		{"database logs", func(context.Context) ([]File, error) {
			return []File{{"logs/web/nginx.log", []byte("kept")}}, errors.New(`pods "mysql-0" not found`)
		}},
	}
	var buf bytes.Buffer
	res, err := Write(context.Background(), &buf, parts)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		files[f.Name] = string(data)
	}
	if files["good.txt"] != "fine" || files["logs/web/nginx.log"] != "kept" || !strings.Contains(files["failures.txt"], `database logs: pods "mysql-0" not found`) {
		t.Fatalf("bundle: %v", files)
	}
	if len(res.Failed) != 1 || len(res.Files) != 3 {
		t.Fatalf("result %+v", res)
	}
}

func TestSecretsAreRedactedKeysKept(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s", "annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "pw"}},
		"data":     map[string]any{"password": "c2VjcmV0"}, "stringData": map[string]any{"token": "secret"}}}
	r := Redacted(u, false)
	if r.Object["data"].(map[string]any)["password"] != "REDACTED" || r.Object["stringData"].(map[string]any)["token"] != "REDACTED" || len(r.GetAnnotations()) != 0 {
		t.Fatalf("redacted: %v", r.Object)
	}
	if u.Object["data"].(map[string]any)["password"] != "c2VjcmV0" {
		t.Fatal("Redacted changed its input")
	}
	if k := Redacted(u, true); k.Object["data"].(map[string]any)["password"] != "c2VjcmV0" {
		t.Fatal("--include-secrets lost the value")
	}
}
