package clone

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	kubectlstack "github.com/kubectl-stack/kubectl-stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/build"
)

// paramsFile holds the transformers that move a stack into a namespace of
// its own: the namespace of every object and of the RoleBindings'
// subjects, the dev volume's claimRef, and the volume's name. A clone uses
// them as they are written there, so it is named exactly as the folder of
// `kubectl stack init` would name it.
const paramsFile = "params/dev/kustomization.yaml"

// IntoNamespace moves an overlay's objects into namespace ns with Kustomize
// and the parameters overlay's transformers.
func IntoNamespace(objs []*unstructured.Unstructured, ns string) ([]*unstructured.Unstructured, error) {
	transformers, err := namespaceTransformers(ns)
	if err != nil {
		return nil, err
	}
	var docs bytes.Buffer
	for _, u := range objs {
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
		docs.WriteString("---\n")
		docs.Write(data)
	}
	k, err := yaml.Marshal(types.Kustomization{Resources: []string{"objects.yaml"}, Transformers: transformers})
	if err != nil {
		return nil, err
	}
	fs := filesys.MakeFsInMemory()
	if err := fs.WriteFile("/clone/objects.yaml", docs.Bytes()); err != nil {
		return nil, err
	}
	if err := fs.WriteFile("/clone/kustomization.yaml", k); err != nil {
		return nil, err
	}
	return build.Build(build.Source{FS: fs, Dir: "/clone", Name: "the overlay in namespace " + ns})
}

// namespaceTransformers are paramsFile's transformers with ns for the
// namespace.
func namespaceTransformers(ns string) ([]string, error) {
	data, err := kubectlstack.Manifests.ReadFile(paramsFile)
	if err != nil {
		return nil, err
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", paramsFile, err)
	}
	out := make([]string, 0, len(k.Transformers))
	named := false
	for _, text := range k.Transformers {
		var t map[string]any
		if err := yaml.Unmarshal([]byte(text), &t); err != nil {
			return nil, fmt.Errorf("%s: a transformer: %w", paramsFile, err)
		}
		if meta, ok := t["metadata"].(map[string]any); ok && t["kind"] == "NamespaceTransformer" {
			meta["namespace"], named = ns, true
		}
		data, err := yaml.Marshal(t)
		if err != nil {
			return nil, err
		}
		out = append(out, string(data))
	}
	if !named {
		return nil, fmt.Errorf("%s has no NamespaceTransformer", paramsFile)
	}
	return out, nil
}
