// Package report writes a support bundle: a zip of everything a bug
// report about the stack needs, each part read on its own, so one part
// that fails (a pod gone, a permission missing) is listed in the bundle
// instead of failing it. Secrets are redacted unless asked for. It knows
// nothing of cobra; pkg/cmd/report.go is its command line.
package report

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Options say what goes into the bundle.
type Options struct {
	Namespace string
	// Overlay is the -k value whose rendering is included.
	Overlay string
	// TailLines of each container's log.
	TailLines int64
	// IncludeSecrets keeps Secrets' values.
	IncludeSecrets bool
}

// File is one file of the bundle.
type File struct {
	Name string
	Data []byte
}

// Part reads one part of the bundle.
type Part struct {
	Name string
	Read func(ctx context.Context) ([]File, error)
}

// Result says what the bundle holds and what could not be read.
type Result struct {
	Files  []string `json:"files"`
	Failed []string `json:"failed,omitempty"`
}

// Write reads every part and writes the zip to w: the files of the parts
// that were read, and failures.txt naming each part that was not, with
// its error.
func Write(ctx context.Context, w io.Writer, parts []Part) (*Result, error) {
	zw := zip.NewWriter(w)
	res := &Result{}
	add := func(f File) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Now()})
		if err == nil {
			_, err = fw.Write(f.Data)
		}
		if err == nil {
			res.Files = append(res.Files, f.Name)
		}
		return err
	}
	for _, p := range parts {
		files, err := p.Read(ctx)
		if err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %s", p.Name, kube.OneLine(err)))
		}
		for _, f := range files {
			if err := add(f); err != nil {
				return res, fmt.Errorf("writing %s into the bundle: %w", f.Name, err)
			}
		}
	}
	failures := "every part was read\n"
	if len(res.Failed) > 0 {
		failures = strings.Join(res.Failed, "\n") + "\n"
	}
	if err := add(File{Name: "failures.txt", Data: []byte(failures)}); err != nil {
		return res, err
	}
	sort.Strings(res.Files)
	return res, zw.Close()
}

// Redacted is the object with a Secret's values replaced (keys kept), and
// without the annotations and managed fields that could hold them.
func Redacted(u *unstructured.Unstructured, keep bool) *unstructured.Unstructured {
	out := u.DeepCopy()
	out.SetManagedFields(nil)
	if out.GetKind() != "Secret" || keep {
		return out
	}
	for _, field := range []string{"data", "stringData"} {
		values, ok := out.Object[field].(map[string]any)
		if !ok {
			continue
		}
		for k := range values {
			values[k] = "REDACTED"
		}
	}
	annotations := out.GetAnnotations()
	delete(annotations, "kubectl.kubernetes.io/last-applied-configuration")
	out.SetAnnotations(annotations)
	return out
}

// yamlFile is v as one YAML file.
func yamlFile(name string, v any) ([]File, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", name, err)
	}
	return []File{{Name: name, Data: data}}, nil
}
