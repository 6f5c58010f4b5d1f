package params_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/params"
)

// Unchanged, the parameters overlay renders exactly what its overlay does:
// the defaults in the parameters file and the manifests agree.
func TestParametersUnchangedRenderTheOverlay(t *testing.T) {
	for _, from := range params.Sources {
		dir := initDir(t, from)
		got := render(t, filepath.Join(dir, "params", from))
		want := render(t, filepath.Join(dir, "overlays", from))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("params/%s unchanged renders other objects than overlays/%s:\n%s", from, from, strings.Join(changes(want, got), "\n"))
		}
	}
}

// Every parameter changed at once moves exactly the fields it names, and
// nothing else.
func TestEveryParameterMovesItsFieldsAndNothingElse(t *testing.T) {
	for _, from := range params.Sources {
		t.Run(from, func(t *testing.T) {
			dir := initDir(t, from)
			file := filepath.Join(dir, "params", from, "kustomization.yaml")
			before := render(t, filepath.Dir(file))
			edit(t, file, edits[from])
			after := render(t, filepath.Dir(file))
			got := changes(before, after)
			want := expected(before, from)
			if !slices.Equal(got, want) {
				t.Errorf("changed fields:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
			}
		})
	}
}

// edits are each parameter's default and a new value, as a user edits them.
var edits = map[string][][2]string{
	"prod": {
		{"namespace: k8s-assignment}", "namespace: shop}"},
		{"count: 3", "count: 5"},
		{"newTag: 8.4.3", "newTag: 8.4.4"},
		{"newTag: 1.27.3", "newTag: 1.27.4"},
		{"newTag: 1.36.1", "newTag: 1.36.2"},
		{"name: kubectl-stack/watcher\n    newTag: v0.1.0", "name: kubectl-stack/watcher\n    newTag: v0.2.0"},
		{"name: kubectl-stack/kubectl-stack\n    newTag: v0.1.0", "name: kubectl-stack/kubectl-stack\n    newTag: v0.2.0"},
		{"value: 30080", "value: 30081"},
		{"storage, value: 20Gi", "storage, value: 50Gi"},
		{"  # - target: {kind: StatefulSet, name: mysql}\n  #   patch: |-\n  #     - {op: add", "  - target: {kind: StatefulSet, name: mysql}\n    patch: |-\n      - {op: add"},
		{"{key: kubectl-stack.io/database, operator: In, values: [\"true\"]}", "{key: example.com/db, operator: In, values: [\"yes\"]}"},
		{"17 2 * * *", "30 3 * * *"},
		{"--keep-last=7", "--keep-last=3"},
		{"--keep-daily=14", "--keep-daily=7"},
		{"--keep-weekly=8", "--keep-weekly=4"},
		{"{cpu: 50m, memory: 32Mi}", "{cpu: 60m, memory: 48Mi}"},
		{"{cpu: 250m, memory: 128Mi}", "{cpu: 300m, memory: 160Mi}"},
		{"{cpu: 250m, memory: 512Mi}", "{cpu: 500m, memory: 2Gi}"},
		{"{cpu: \"1\", memory: 1Gi}", "{cpu: \"2\", memory: 4Gi}"},
		{"{cpu: 10m, memory: 32Mi}", "{cpu: 20m, memory: 40Mi}"},
		{"{cpu: 200m, memory: 64Mi}", "{cpu: 300m, memory: 96Mi}"},
	},
	"dev": {
		{"namespace: k8s-assignment}", "namespace: shop}"},
		{"count: 3", "count: 5"},
		{"newTag: \"8.4\"", "newTag: \"8.4.4\""},
		{"newTag: \"1.27\"", "newTag: \"1.27.4\""},
		{"newTag: \"1.36\"", "newTag: \"1.36.2\""},
		{"newTag: dev", "newTag: dev2"},
		{"value: 30080", "value: 30081"},
		{"requests/storage, value: 2Gi", "requests/storage, value: 5Gi"},
		{"{op: replace, path: /spec/capacity/storage, value: 2Gi}", "{op: replace, path: /spec/capacity/storage, value: 5Gi}"},
		{"{key: kubectl-stack.io/database, operator: In, values: [\"true\"]}", "{key: example.com/db, operator: In, values: [\"yes\"]}"},
		{"{cpu: 50m, memory: 32Mi}", "{cpu: 60m, memory: 48Mi}"},
		{"{cpu: 250m, memory: 128Mi}", "{cpu: 300m, memory: 160Mi}"},
		{"{cpu: 250m, memory: 512Mi}", "{cpu: 500m, memory: 2Gi}"},
		{"{cpu: \"1\", memory: 1Gi}", "{cpu: \"2\", memory: 4Gi}"},
		{"{cpu: 10m, memory: 32Mi}", "{cpu: 20m, memory: 40Mi}"},
		{"{cpu: 200m, memory: 64Mi}", "{cpu: 300m, memory: 96Mi}"},
	},
}

// The HA tier's parameters are their base's, with MariaDB's image for
// MySQL's (in prod-ha the archiver's user Job runs it too).
func init() {
	edits["dev-ha"] = slices.Concat(edits["dev"][:2], [][2]string{{"newTag: \"10.11\"", "newTag: \"10.11.6\""}}, edits["dev"][3:])
	edits["prod-ha"] = slices.Concat(edits["prod"][:2], [][2]string{{"newTag: 10.11.19", "newTag: 10.11.20"}}, edits["prod"][3:])
}

// expected lists the fields the edits should move in the objects before.
func expected(before map[string]map[string]string, from string) []string {
	var want []string
	for obj, fields := range before {
		for path := range fields {
			if strings.HasSuffix(path, "metadata.namespace") || path == "metadata.name" && (strings.HasPrefix(obj, "Namespace/") || strings.HasPrefix(obj, "PersistentVolume/")) ||
				strings.HasPrefix(obj, "PersistentVolume/") && path == "spec.claimRef.namespace" ||
				strings.Contains(obj, "RoleBinding/") && strings.HasSuffix(path, ".namespace") && strings.HasPrefix(path, "subjects.") {
				want = append(want, obj+" "+path)
			}
		}
	}
	common := []string{
		"Deployment/web spec.replicas",
		"Deployment/web spec.template.spec.initContainers.0.image",
		"Deployment/web spec.template.spec.containers.0.image",
		"Deployment/web spec.template.spec.containers.0.resources.requests.cpu",
		"Deployment/web spec.template.spec.containers.0.resources.requests.memory",
		"Deployment/web spec.template.spec.containers.0.resources.limits.cpu",
		"Deployment/web spec.template.spec.containers.0.resources.limits.memory",
		"Service/web spec.ports.0.nodePort",
		"StatefulSet/mysql spec.template.spec.containers.0.image",
		"StatefulSet/mysql spec.template.spec.containers.0.resources.requests.cpu",
		"StatefulSet/mysql spec.template.spec.containers.0.resources.requests.memory",
		"StatefulSet/mysql spec.template.spec.containers.0.resources.limits.cpu",
		"StatefulSet/mysql spec.template.spec.containers.0.resources.limits.memory",
		"StatefulSet/mysql spec.volumeClaimTemplates.0.spec.resources.requests.storage",
		"DaemonSet/watcher spec.template.spec.containers.0.image",
		"DaemonSet/watcher spec.template.spec.containers.0.resources.requests.cpu",
		"DaemonSet/watcher spec.template.spec.containers.0.resources.requests.memory",
		"DaemonSet/watcher spec.template.spec.containers.0.resources.limits.cpu",
		"DaemonSet/watcher spec.template.spec.containers.0.resources.limits.memory",
	}
	want = append(want, common...)
	switch strings.TrimSuffix(from, "-ha") {
	case "prod":
		affinity := "StatefulSet/mysql spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0."
		want = append(want, affinity+"key", affinity+"values.0",
			"StatefulSet/mysql spec.volumeClaimTemplates.0.spec.storageClassName",
			"CronJob/mysql-backup spec.schedule",
			"CronJob/mysql-backup spec.jobTemplate.spec.template.spec.containers.0.args.3",
			"CronJob/mysql-backup spec.jobTemplate.spec.template.spec.containers.0.args.4",
			"CronJob/mysql-backup spec.jobTemplate.spec.template.spec.containers.0.args.5",
			"CronJob/mysql-backup spec.jobTemplate.spec.template.spec.containers.0.image",
			"Deployment/binlog-archiver spec.template.spec.containers.0.image",
			"Job/binlog-archiver-user spec.template.spec.containers.0.image",
		)
	case "dev":
		affinity := "StatefulSet/mysql spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.preference.matchExpressions.0."
		want = append(want, affinity+"key", affinity+"values.0", "PersistentVolume/ spec.capacity.storage",
			"StatefulSet/mysql spec.template.spec.initContainers.0.image")
	}
	sort.Strings(want)
	return want
}

func initDir(t *testing.T, from string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "stack")
	if _, err := params.Init(dir, from); err != nil {
		t.Fatal(err)
	}
	return dir
}

func edit(t *testing.T, file string, edits [][2]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, e := range edits {
		if strings.Count(s, e[0]) != 1 {
			t.Fatalf("%s: the parameter %q appears %d times, want once", file, e[0], strings.Count(s, e[0]))
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// render builds an overlay into its objects' fields, flattened to
// "a.b.0.c" paths, by object (a Namespace and the dev volume by kind
// alone: their names move with the namespace).
func render(t *testing.T, dir string) map[string]map[string]string {
	t.Helper()
	objs, err := build.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, u := range objs {
		fields := map[string]string{}
		flatten("", u.Object, fields)
		out[objectKey(u)] = fields
	}
	return out
}

func objectKey(u *unstructured.Unstructured) string {
	if u.GetKind() == "Namespace" || u.GetKind() == "PersistentVolume" {
		return u.GetKind() + "/"
	}
	return u.GetKind() + "/" + u.GetName()
}

func flatten(prefix string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flatten(join(prefix, k), e, out)
		}
	case []any:
		for i, e := range v {
			flatten(join(prefix, fmt.Sprint(i)), e, out)
		}
	default:
		out[prefix] = fmt.Sprint(v)
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// changes lists "object path" of every field added, removed or changed.
func changes(before, after map[string]map[string]string) []string {
	var out []string
	for obj := range union(before, after) {
		for path := range union(before[obj], after[obj]) {
			b, inB := before[obj][path]
			a, inA := after[obj][path]
			if inA != inB || a != b {
				out = append(out, obj+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
