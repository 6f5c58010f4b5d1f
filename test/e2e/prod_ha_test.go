//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
	"github.com/kubectl-stack/kubectl-stack/testrig/steps"
)

// overlays/prod-ha on kind's three nodes (hack/kind/config-prod.yaml), a
// member on each, applied from `init --from prod-ha`. During each fault a
// writer commits numbered rows through the mysql Service; afterwards every
// row it was told was committed is on every member; then the scheduled
// backup and the archiver run with a location. hack/kind/test.sh runs it
// (make test too); the local node's run leaves it out.
func TestProdHA(t *testing.T) {
	kind, ok := env.cluster.(*kindTestCluster)
	if !ok {
		t.Fatal("TestProdHA needs kind's three nodes: hack/kind/test.sh runs it, hack/test.sh's run on the local node leaves it out")
	}
	t.Cleanup(func() {
		if t.Failed() {
			haLogs(t)
		}
	})
	labelDatabaseNodes(t)
	demo := []string{steps.Demo}
	steps.Run(t, []steps.Step{
		{Name: "init --from prod-ha applied on three nodes: a member on each, Synced in one cluster", Fn: applyProdHA, Scopes: demo},
		{Name: "a member's pod deleted under writes: it rejoins, nothing lost", Fn: haPodDeleted, Scopes: demo},
		{Name: "a member's node stopped (docker stop) under writes: the other two go on; started again, it rejoins, nothing lost", Fn: func(t *testing.T) { haNodeStopped(t, kind) }, Scopes: demo},
		{Name: "prod-ha's scheduled backup and archiver run as prod's do: given their Secrets and location, the archiver follows the members, the CronJob's backup verifies", Fn: prodHABackups, Scopes: demo},
		{Name: "delete --purge-data removes the prod-ha stack and its claims", Fn: deleteHAStack, Scopes: demo},
	})
}

// prodHALocal points the parameters at what kind's nodes hold: the images
// hack/images built, loaded into every node, pulled only if not present
// (prod pulls every time by digest, and no registry is reachable here).
const prodHALocal = `
images:
  - {name: mariadb, newTag: "10.11"}
  - {name: nginx, newTag: "1.27"}
  - {name: busybox, newTag: "1.36"}
  - {name: kubectl-stack/watcher, newTag: dev}
  - {name: kubectl-stack/kubectl-stack, newTag: dev}
patches:
  - target: {kind: (Deployment|StatefulSet|DaemonSet|Job)}
    patch: |-
      - {op: replace, path: /spec/template/spec/containers/0/imagePullPolicy, value: IfNotPresent}
  - target: {kind: Deployment, name: web}
    patch: |-
      - {op: replace, path: /spec/template/spec/initContainers/0/imagePullPolicy, value: IfNotPresent}
  - target: {kind: CronJob}
    patch: |-
      - {op: replace, path: /spec/jobTemplate/spec/template/spec/containers/0/imagePullPolicy, value: IfNotPresent}
`

// labelDatabaseNodes labels the three nodes for the database, as the
// README asks of a prod-ha user, until the test ends; then the labels are
// as they were.
func labelDatabaseNodes(t *testing.T) {
	labelled := labelledNodes(t)
	mustKubectl(t, time.Minute, "label", "nodes", "--all", "--overwrite", stack.DatabaseNodeLabel+"=true")
	t.Cleanup(func() {
		kubectl(t, time.Minute, "label", "nodes", "--all", stack.DatabaseNodeLabel+"-")
		for _, n := range labelled {
			kubectl(t, time.Minute, "label", "node", n, stack.DatabaseNodeLabel+"=true")
		}
	})
}

// applyProdHA does what the README asks of a prod user (namespace,
// Secret) and applies the parameters of `init --from prod-ha` in the HA
// tier's namespace.
func applyProdHA(t *testing.T) {
	params := prodHAParams(t)
	mustKubectl(t, time.Minute, "create", "namespace", haNamespace)
	mustKubectl(t, time.Minute, "-n", haNamespace, "create", "secret", "generic", stack.MySQLSecret,
		"--from-literal=root-password=e2e-root", "--from-literal=database=stack",
		"--from-literal=user=stack", "--from-literal=password=e2e-user")
	// The archiver and the scheduled backup wait for their location's
	// Secrets, which this step does not give (prodHABackups does): the
	// members are what it waits for.
	if r := kubectl(t, 3*time.Minute, "stack", "apply", "-k", params, "--wait=false"); r.code != 0 {
		t.Fatalf("apply prod-ha: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ctx := context.Background()
	nodes := map[string]string{}
	waitForWithin(t, 8*time.Minute, "three members Ready, each on its own node", func() bool {
		for i := range stack.GaleraMembers {
			p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(i), metav1.GetOptions{})
			if err != nil || !podReady(p) {
				return false
			}
			nodes[p.Spec.NodeName] = p.Name
		}
		return len(nodes) == stack.GaleraMembers
	})
	haSynced(t)
	t.Logf("members by node: %v", nodes)
}

// prodHAParams writes the parameters of `init --from prod-ha` for the
// HA tier's namespace and NodePort, with the images kind's nodes hold,
// and returns the folder.
func prodHAParams(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), haNamespace)
	mustKubectl(t, time.Minute, "stack", "init", dir, "--from", "prod-ha")
	params := filepath.Join(dir, "params", "prod-ha", "kustomization.yaml")
	data, err := os.ReadFile(params)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	images, patches := strings.Index(s, "\nimages:\n"), strings.Index(s, "\npatches:\n")
	if images < 0 || patches < images {
		t.Fatalf("%s: no images: before its patches:\n%s", params, s)
	}
	s = s[:images] + prodHALocal + s[patches+len("\npatches:\n"):]
	if err := os.WriteFile(params, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	editFile(t, params, [][2]string{
		{"namespace: k8s-assignment}", "namespace: " + haNamespace + "}"},
		// The dev stack of TestDevStack may hold prod's NodePort.
		{fmt.Sprintf("value: %d}", stack.WebNodePort), fmt.Sprintf("value: %d}", haPort)},
	})
	return filepath.Dir(params)
}

// prodHABackups gives prod-ha's archiver and scheduled backup what the
// README asks of a prod user (the store's Secrets, the location, the
// API server's and the store's addresses in their policies), applied
// again from the same parameters, and waits until the archiver archives
// and the CronJob's backup passes a restore test.
func prodHABackups(t *testing.T) {
	useObjectStore(t)
	loc := "s3://" + bucket + "/prod-ha"
	dir := t.TempDir()
	rendered := renderForStore(t, prodHAParams(t), loc)
	if err := os.WriteFile(filepath.Join(dir, "stack.yaml"), []byte(rendered), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources: [stack.yaml]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	archiverSecrets(t, haNamespace)
	if r := kubectl(t, 6*time.Minute, "stack", "apply", "-k", dir); r.code != 0 {
		t.Fatalf("apply prod-ha with its location: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitArchiving(t, haNamespace)
	runScheduledBackup(t, haNamespace, loc)
}

func labelledNodes(t *testing.T) []string {
	t.Helper()
	list, err := env.client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: stack.DatabaseNodeLabel + "=true"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range list.Items {
		names = append(names, n.Name)
	}
	return names
}

// haNodeStopped stops the node container of a member on a worker the
// writer does not run on (the control plane holds the API server), as a
// lost node: the other two members go on taking writes. Started again,
// the node's kubelet restarts the member, which rejoins.
func haNodeStopped(t *testing.T, c *kindTestCluster) {
	w := startWriter(t)
	w.waitCommitted(t, 20)
	ctx := context.Background()
	wp, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, w.pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	victim, nodeName, before := "", "", int32(0)
	for i := range stack.GaleraMembers {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, member(i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := p.Spec.NodeName; n != wp.Spec.NodeName && n != c.realNode() {
			victim, nodeName, before = p.Name, n, restartsOf(p)
		}
	}
	if victim == "" {
		t.Fatalf("no member on a worker apart from the writer's node %s", wp.Spec.NodeName)
	}
	docker(t, "stop", nodeName)
	started := false
	start := func() {
		if !started {
			started = true
			docker(t, "start", nodeName)
		}
	}
	t.Cleanup(start)
	t.Logf("stopped node %s with %s", nodeName, victim)
	// Gone as the cluster sees it: the node NotReady, its pods out of the
	// Services' endpoints.
	waitForWithin(t, 3*time.Minute, "node "+nodeName+" NotReady", func() bool {
		n, err := env.client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		return err == nil && !node.Ready(n)
	})
	w.waitCommitted(t, w.committed(t)+20)
	start()
	waitForWithin(t, 6*time.Minute, victim+" restarted on its node and Ready", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, victim, metav1.GetOptions{})
		return err == nil && p.Spec.NodeName == nodeName && restartsOf(p) > before && podReady(p)
	})
	w.finish(t)
}

func docker(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// deleteHAStack removes the HA tier's stack with its claims and waits
// until its namespace and volumes are gone.
func deleteHAStack(t *testing.T) {
	t.Helper()
	mustKubectl(t, 3*time.Minute, "stack", "delete", "-n", haNamespace, "--purge-data", "--yes")
	ctx := context.Background()
	waitForWithin(t, 3*time.Minute, "namespace "+haNamespace+" and its volumes gone", func() bool {
		list, err := env.client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, pv := range list.Items {
			if ref := pv.Spec.ClaimRef; ref != nil && ref.Namespace == haNamespace {
				return false
			}
		}
		_, err = env.client.CoreV1().Namespaces().Get(ctx, haNamespace, metav1.GetOptions{})
		return err != nil
	})
}
