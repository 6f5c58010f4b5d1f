//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// A dev stack made before one volume per stack has its claim bound to the
// old volume, its data there: apply refuses to give it the new one, names
// the way to move the data, and writes nothing.
func TestApplyRefusesToMoveAClaimOffItsVolume(t *testing.T) {
	const ns = "legacy-stack"
	typed, _ := clients(t)
	ctx := context.Background()
	if _, err := typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = typed.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}) })
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: stack.MySQLClaim, Namespace: ns},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			VolumeName:  "kubectl-stack-mysql-data",
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}},
		},
	}
	if _, err := typed.CoreV1().PersistentVolumeClaims(ns).Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "stack")
	mustSucceed(t, stackCmd(t, "init", dir, "--from", "dev"))
	file := filepath.Join(dir, "params", "dev", "kustomization.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.NewReplacer("namespace: k8s-assignment}", "namespace: "+ns+"}", "value: 30080", "value: 30082").Replace(string(data))
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	r := stackCmd(t, "apply", "--wait=false", "-k", filepath.Dir(file))
	want := "claim " + ns + "/" + stack.MySQLClaim + " keeps its data on volume kubectl-stack-mysql-data, not on " + stack.DevVolume(ns)
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "kubectl stack backup FILE -n "+ns) {
		t.Fatalf("apply: exit %d, want 1 and %q with the way to move the data\n%s", r.code, want, r.stderr)
	}
	if _, err := typed.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(ns), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused apply created the new volume (or reading it failed: %v)", err)
	}
	if _, err := typed.CoreV1().Secrets(ns).Get(ctx, stack.ApplySetParent, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused apply wrote the ApplySet parent (or reading it failed: %v)", err)
	}
}
