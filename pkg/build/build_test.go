package build_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
)

var overlays = []string{"overlays/dev", "overlays/prod", "overlays/dev-ha", "overlays/prod-ha"}

func buildDisk(t *testing.T, overlay string) []*unstructured.Unstructured {
	t.Helper()
	src, err := build.Resolve(filepath.Join("..", "..", overlay))
	if err != nil {
		t.Fatal(err)
	}
	if src.Embedded {
		t.Fatalf("%s resolved to the built-in copy, want the folder on disk", overlay)
	}
	objs, err := build.Build(src)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestEachOverlayBuildsAndMatchesItsBuiltInCopy(t *testing.T) {
	def, err := build.Resolve("")
	if err != nil || !def.Embedded || def.Dir != "/overlays/dev" {
		t.Fatalf("no -k must mean the built-in dev overlay, got %+v, %v", def, err)
	}
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			disk := buildDisk(t, overlay)
			if len(disk) < 15 {
				t.Fatalf("%s built %d objects, want the whole stack", overlay, len(disk))
			}
			// This test runs in pkg/build, where overlays/ is not a folder:
			// the name resolves to the copy built into the binary.
			emb, err := build.Resolve(overlay)
			if err != nil {
				t.Fatal(err)
			}
			if !emb.Embedded {
				t.Fatalf("%s: want the built-in copy from a folder without a checkout", overlay)
			}
			embObjs, err := build.Build(emb)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(disk, embObjs) {
				t.Fatalf("%s: the built-in copy builds other objects than the folder on disk", overlay)
			}
		})
	}
}

// Every object must decode into its typed API struct with strict decoding:
// an unknown or misspelt field fails here, not on a cluster.
func TestObjectsDecodeStrictly(t *testing.T) {
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		kjson.SerializerOptions{Strict: true})
	for _, overlay := range overlays {
		for _, u := range buildDisk(t, overlay) {
			data, err := json.Marshal(u.Object)
			if err != nil {
				t.Fatal(err)
			}
			obj, _, err := strict.Decode(data, nil, nil)
			if err != nil {
				t.Errorf("%s: %s %s: %v", overlay, u.GetKind(), u.GetName(), err)
				continue
			}
			if _, isUnstructured := obj.(runtime.Unstructured); isUnstructured {
				t.Errorf("%s: %s %s decoded to no typed struct", overlay, u.GetKind(), u.GetName())
			}
		}
	}
}

// The plugin's in-process build and `kubectl kustomize` give the same
// objects, so plain GitOps deploys what the plugin deploys.
func TestBuildMatchesKubectlKustomize(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not on PATH; it is needed to compare with `kubectl kustomize` (.ci/run installs it)")
	}
	for _, overlay := range overlays {
		out, err := exec.Command(kubectl, "kustomize", filepath.Join("..", "..", overlay)).Output()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v", overlay, err)
		}
		var want []map[string]any
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				break
			}
			want = append(want, m)
		}
		got := map[string]string{}
		for _, u := range buildDisk(t, overlay) {
			data, _ := json.Marshal(u.Object)
			got[id(u)] = string(data)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: plugin built %d objects, kubectl kustomize %d", overlay, len(got), len(want))
		}
		// Order may differ between kustomize releases; apply sorts anyway.
		for _, m := range want {
			u := &unstructured.Unstructured{Object: m}
			data, _ := json.Marshal(m)
			if got[id(u)] != string(data) {
				t.Errorf("%s: %s differs:\nplugin:  %s\nkubectl: %s", overlay, id(u), got[id(u)], data)
			}
		}
	}
}

func id(u *unstructured.Unstructured) string {
	return u.GroupVersionKind().String() + "/" + u.GetNamespace() + "/" + u.GetName()
}

func TestResolveErrors(t *testing.T) {
	cases := map[string]string{
		"no-such-folder":   `overlay "no-such-folder" not found: pass -k a folder that holds a kustomization.yaml (built in: overlays/dev, overlays/dev-ha, overlays/prod, overlays/prod-ha)`,
		"build_test.go":    `overlay "build_test.go" is a file: pass -k the folder that holds kustomization.yaml`,
		"overlays/staging": `overlay "overlays/staging" not found: pass -k a folder that holds a kustomization.yaml (built in: overlays/dev, overlays/dev-ha, overlays/prod, overlays/prod-ha)`,
	}
	for dir, want := range cases {
		_, err := build.Resolve(dir)
		if err == nil || err.Error() != want {
			t.Errorf("Resolve(%q) = %v, want %q", dir, err, want)
		}
	}
}

func TestBuildErrorIsOneLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources:\n  - missing.yaml\n  bad: [\n")
	src, err := build.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = build.Build(src)
	if err == nil {
		t.Fatal("a kustomization with a syntax error built")
	}
	if bytes.ContainsRune([]byte(err.Error()), '\n') {
		t.Fatalf("error spans lines: %q", err)
	}
}
