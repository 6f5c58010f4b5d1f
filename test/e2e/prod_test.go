//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// overlays/prod on the real node plus two kwok-simulated nodes, its images
// pushed by `images push` from the release's archive into a registry with
// TLS and basic auth and run from there with `apply --registry`: the web
// pods spread over the three nodes, the database lands on its labelled
// node, the watcher DaemonSet covers every node, and on the real node the
// watcher runs from the pushed digest and `events` reads it.
func TestProdStackPlacement(t *testing.T) {
	ctx := context.Background()
	clearStack(t)
	reg := startImageRegistry(t)
	archive, digests := releaseImages(t)
	overlay := prodWithImages(t, digests)
	pushImages(t, reg, overlay, archive)

	sims, err := env.cluster.moreNodes(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	dbNode := sims[0]
	setDatabaseNode(t, dbNode)
	prepareProd(t)
	allowAPIServerPort(t)
	mustKubectl(t, time.Minute, "-n", stack.Namespace, "create", "secret", "docker-registry", "e2e-registry",
		"--docker-server="+reg.host, "--docker-username="+reg.user, "--docker-password="+reg.password)

	// The public images are not in this registry: the real node's web pod
	// fails to pull them from it (and from nowhere else); kwok runs the rest.
	r := kubectl(t, 2*time.Minute, "stack", "apply", "-k", overlay, "--registry", reg.host+"/e2e",
		"--image-pull-secret", "e2e-registry", "--wait=false")
	if r.code != 0 {
		t.Fatalf("apply prod: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	nodes, err := env.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var placement map[string][]string
	deadline := time.Now().Add(2 * time.Minute)
	for {
		placement = placed(t)
		webNodes := distinct(placement[stack.Web.Name])
		if len(placement[stack.Web.Name]) == stack.WebReplicas && len(webNodes) == stack.WebReplicas &&
			len(placement[stack.Database.Name]) == 1 && len(distinct(placement[stack.Watcher.Name])) == len(nodes.Items) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("placement after 2m: %v (nodes: %d)", placement, len(nodes.Items))
		}
		time.Sleep(time.Second)
	}
	if got := placement[stack.Database.Name][0]; got != dbNode {
		t.Fatalf("mysql-0 runs on %s, want the labelled node %s", got, dbNode)
	}
	t.Logf("placement: %v", placement)
	watcherFromRegistry(t, reg.host+"/e2e/"+stack.WatcherImage+":"+e2eVersion+"@"+digests[stack.WatcherImage])
}

// clearStack removes whatever stack the dev test left, data included, and
// waits until its namespace is gone.
func clearStack(t *testing.T) {
	r := kubectl(t, 2*time.Minute, "stack", "delete", "--purge-data", "--yes")
	if r.code != 0 && !strings.Contains(r.stderr, "no stack in namespace") {
		t.Fatalf("delete --purge-data: exit %d\n%s", r.code, r.stderr)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		_, err := env.client.CoreV1().Namespaces().Get(context.Background(), stack.Namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s still there after 3m: %v", stack.Namespace, err)
		}
		time.Sleep(time.Second)
	}
}

// setDatabaseNode moves the database label from the real node to name.
func setDatabaseNode(t *testing.T, name string) {
	mustKubectl(t, time.Minute, "label", "nodes", "--all", stack.DatabaseNodeLabel+"-")
	mustKubectl(t, time.Minute, "label", "node", name, stack.DatabaseNodeLabel+"=true")
}

// prepareProd does what the README asks of a prod user (namespace, Secret)
// and stands in for the StorageClass this cluster lacks with a volume for
// the database's claim.
func prepareProd(t *testing.T) {
	mustKubectl(t, time.Minute, "create", "namespace", stack.Namespace)
	mustKubectl(t, time.Minute, "-n", stack.Namespace, "create", "secret", "generic", stack.MySQLSecret,
		"--from-literal=root-password=e2e-root", "--from-literal=database=stack",
		"--from-literal=user=stack", "--from-literal=password=e2e-user")
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-prod-mysql"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("20Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			ClaimRef:                      &corev1.ObjectReference{Namespace: stack.Namespace, Name: stack.MySQLClaim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: dataRoot + "/prod"},
			},
		},
	}
	if _, err := env.client.CoreV1().PersistentVolumes().Create(context.Background(), pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// placed maps each component to the nodes of its scheduled pods.
func placed(t *testing.T) map[string][]string {
	out := map[string][]string{}
	for _, c := range stack.Components {
		for _, p := range pods(t, c) {
			if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
				out[c.Name] = append(out[c.Name], p.Spec.NodeName)
			}
		}
	}
	return out
}

func distinct(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}
