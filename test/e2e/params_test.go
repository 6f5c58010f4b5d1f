//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// paramsNamespace is where the parameters test puts the stack.
const paramsNamespace = "shop"

// paramEdits change every parameter of params/prod. The images keep a
// localhost/ name, so the real node's pulls fail on loopback; their digests
// stay as prod pins them (a node pulls by digest; the tag is for people).
var paramEdits = [][2]string{
	{"namespace: k8s-assignment}", "namespace: " + paramsNamespace + "}"},
	{"count: 3", "count: 2"},
	{"- name: mysql\n    newTag: 8.4.3", "- name: mysql\n    newName: localhost/e2e/mysql\n    newTag: 8.4.4"},
	{"- name: nginx\n    newTag: 1.27.3", "- name: nginx\n    newName: localhost/e2e/nginx\n    newTag: 1.27.4"},
	{"- name: busybox\n    newTag: 1.36.1", "- name: busybox\n    newName: localhost/e2e/busybox\n    newTag: 1.36.2"},
	{"- name: kubectl-stack/watcher\n    newTag: v0.1.0", "- name: kubectl-stack/watcher\n    newName: localhost/e2e/watcher\n    newTag: v0.2.0"},
	{"- name: kubectl-stack/kubectl-stack\n    newTag: v0.1.0", "- name: kubectl-stack/kubectl-stack\n    newName: localhost/e2e/kubectl-stack\n    newTag: v0.2.0"},
	{"value: 30080", "value: 30081"},
	{"storage, value: 20Gi", "storage, value: 30Gi"},
	{"  # - target: {kind: StatefulSet, name: mysql}\n  #   patch: |-\n  #     - {op: add, path: /spec/volumeClaimTemplates/0/spec/storageClassName, value: standard}",
		"  - target: {kind: StatefulSet, name: mysql}\n    patch: |-\n      - {op: add, path: /spec/volumeClaimTemplates/0/spec/storageClassName, value: e2e-params}"},
	{"{key: kubectl-stack.io/database, operator: In, values: [\"true\"]}", "{key: example.com/db, operator: In, values: [\"yes\"]}"},
	{"17 2 * * *", "30 3 * * *"},
	{"--keep-last=7", "--keep-last=3"},
	{"{cpu: 50m, memory: 32Mi}", "{cpu: 60m, memory: 48Mi}"},
	{"{cpu: 250m, memory: 512Mi}", "{cpu: 500m, memory: 1Gi}"},
	{"{cpu: \"1\", memory: 1Gi}", "{cpu: \"2\", memory: 2Gi}"},
}

// `init --from prod`, every parameter changed, rendered by kubectl
// kustomize as by the plugin, applied on the real node plus kwok nodes:
// the live stack has the new values.
func TestInitFromProdWithEveryParameterChanged(t *testing.T) {
	ctx := context.Background()
	clearStack(t)
	sims, err := env.cluster.moreNodes(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "stack")
	mustKubectl(t, time.Minute, "stack", "init", dir, "--from", "prod")
	params := filepath.Join(dir, "params", "prod")
	editParams(t, filepath.Join(params, "kustomization.yaml"))

	rendered := mustKubectl(t, time.Minute, "kustomize", params)
	plugin, err := build.Load(params)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeAll(t, rendered); !reflect.DeepEqual(byIdentity(got), byIdentity(plugin)) {
		t.Fatal("kubectl kustomize and the plugin render the parameters folder differently")
	}

	prepareParams(t, sims[1])
	t.Cleanup(func() { clearParams(t) })
	r := kubectl(t, 2*time.Minute, "stack", "apply", "-k", params, "--wait=false")
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitForWithin(t, 2*time.Minute, "mysql-0 on the node with the new label, and two web pods", func() bool {
		db, err := env.client.CoreV1().Pods(paramsNamespace).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
		web, _ := env.client.CoreV1().Pods(paramsNamespace).List(ctx, metav1.ListOptions{LabelSelector: stack.LabelName + "=web"})
		return err == nil && db.Spec.NodeName == sims[1] && web != nil && len(web.Items) == 2
	})
	checkLiveParams(t, sims[1])
	r = kubectl(t, time.Minute, "stack", "history", "-n", paramsNamespace)
	if r.code != 0 || !strings.Contains(r.stdout, params) {
		t.Errorf("history -n %s does not show the apply from %s: exit %d\n%s%s", paramsNamespace, params, r.code, r.stdout, r.stderr)
	}
}

// byIdentity indexes objects by kind, namespace and name: kubectl kustomize
// and the plugin order them differently.
func byIdentity(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	out := map[string]*unstructured.Unstructured{}
	for _, u := range objs {
		out[u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName()] = u
	}
	return out
}

func editParams(t *testing.T, file string) {
	editFile(t, file, paramEdits)
}

// editFile replaces each edit's first string, which must appear exactly
// once, with its second.
func editFile(t *testing.T, file string, edits [][2]string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, e := range edits {
		if strings.Count(s, e[0]) != 1 {
			t.Fatalf("%s: %q appears %d times, want once", file, e[0], strings.Count(s, e[0]))
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeAll(t *testing.T, yaml string) []*unstructured.Unstructured {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(yaml), 4096)
	var out []*unstructured.Unstructured
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
}

// prepareParams does what the README asks of a prod user in the new
// namespace, labels the database's node with the new label, and stands in
// for the StorageClass with a volume of the new class and size.
func prepareParams(t *testing.T, dbNode string) {
	mustKubectl(t, time.Minute, "create", "namespace", paramsNamespace)
	mustKubectl(t, time.Minute, "-n", paramsNamespace, "create", "secret", "generic", stack.MySQLSecret,
		"--from-literal=root-password=e2e-root", "--from-literal=database=stack",
		"--from-literal=user=stack", "--from-literal=password=e2e-user")
	mustKubectl(t, time.Minute, "label", "node", dbNode, "example.com/db=yes")
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-params-mysql"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("30Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName:              "e2e-params",
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			ClaimRef:                      &corev1.ObjectReference{Namespace: paramsNamespace, Name: stack.MySQLClaim},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dataRoot + "/params"}},
		},
	}
	if _, err := env.client.CoreV1().PersistentVolumes().Create(context.Background(), pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// checkLiveParams reads the new values back from the live objects.
func checkLiveParams(t *testing.T, dbNode string) {
	ctx := context.Background()
	c := env.client
	svc, err := c.CoreV1().Services(paramsNamespace).Get(ctx, "web", metav1.GetOptions{})
	if err != nil || svc.Spec.Ports[0].NodePort != 30081 {
		t.Errorf("web Service: %v, want NodePort 30081", err)
	}
	claim, err := c.CoreV1().PersistentVolumeClaims(paramsNamespace).Get(ctx, stack.MySQLClaim, metav1.GetOptions{})
	if err != nil || claim.Spec.Resources.Requests.Storage().String() != "30Gi" || *claim.Spec.StorageClassName != "e2e-params" {
		t.Errorf("database claim: %v %+v, want 30Gi of class e2e-params", err, claim.Spec)
	}
	cj, err := c.BatchV1().CronJobs(paramsNamespace).Get(ctx, "mysql-backup", metav1.GetOptions{})
	if err != nil || cj.Spec.Schedule != "30 3 * * *" || !strings.Contains(strings.Join(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, " "), "--keep-last=3") {
		t.Errorf("backup CronJob: %v, want schedule 30 3 * * * and --keep-last=3", err)
	}
	db, err := c.CoreV1().Pods(paramsNamespace).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mysql := db.Spec.Containers[0]
	if !strings.HasPrefix(mysql.Image, "localhost/e2e/mysql:8.4.4@sha256:") || mysql.Resources.Limits.Memory().String() != "2Gi" || mysql.Resources.Requests.Cpu().String() != "500m" || db.Spec.NodeName != dbNode {
		t.Errorf("mysql-0: image %s, resources %+v, node %s", mysql.Image, mysql.Resources, db.Spec.NodeName)
	}
	web, err := c.CoreV1().Pods(paramsNamespace).List(ctx, metav1.ListOptions{LabelSelector: stack.LabelName + "=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range web.Items {
		nginx := p.Spec.Containers[0]
		if !strings.HasPrefix(nginx.Image, "localhost/e2e/nginx:1.27.4@sha256:") || nginx.Resources.Requests.Memory().String() != "48Mi" ||
			!strings.HasPrefix(p.Spec.InitContainers[0].Image, "localhost/e2e/busybox:1.36.2@sha256:") {
			t.Errorf("web pod %s: images %s, %s, resources %+v", p.Name, nginx.Image, p.Spec.InitContainers[0].Image, nginx.Resources)
		}
	}
}

// clearParams deletes the parameters test's stack, its data and its
// label, and waits until its namespace is gone.
func clearParams(t *testing.T) {
	kubectl(t, 2*time.Minute, "stack", "delete", "--purge-data", "--yes", "-n", paramsNamespace)
	kubectl(t, time.Minute, "delete", "pv", "e2e-params-mysql", "--ignore-not-found")
	kubectl(t, time.Minute, "label", "nodes", "--all", "example.com/db-")
	waitForWithin(t, 3*time.Minute, "namespace "+paramsNamespace+" gone", func() bool {
		_, err := env.client.CoreV1().Namespaces().Get(context.Background(), paramsNamespace, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}
