//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/netcheck"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The namespaces and NodePorts of the stacks beside the first.
const (
	cloneNamespace   = secondNamespace
	clonePort        = 30081
	previewNamespace = "preview"
	previewPort      = 30082
)

// threeStacks runs three stacks at once: the first; staging, cloned from
// the first's backup at a time between two writes; preview, from
// params/dev with a NodePort of its own. Each is healthy and listed, each
// NodePort is answered by its own web pods only, netcheck --live proves
// the denials between them, the clone holds exactly the rows committed
// before the time, and deleting preview leaves the other two as they
// were. Bad clones are refused first, changing nothing.
func threeStacks(t *testing.T) {
	target := writesAroundATarget(t)
	clonesRefused(t, target)
	plan := stackS3(t, "clone", "--from", pitrLocation, "--to-time", target.Format(time.RFC3339), "-n", cloneNamespace, "--dry-run=server")
	if plan.code != 0 || !strings.Contains(plan.stdout, "rolled forward to "+target.Format(time.RFC3339)) || !strings.Contains(plan.stdout, "nothing was changed") {
		t.Fatalf("clone --dry-run=server: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	noNamespace(t, cloneNamespace, "clone --dry-run=server")
	// No -k: the overlay the backup's manifest records, the first stack's.
	r := stackS3(t, "clone", "--from", pitrLocation, "--to-time", target.Format(time.RFC3339), "-n", cloneNamespace,
		"--node-port", strconv.Itoa(clonePort))
	t.Logf("clone:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("web on NodePort %d", clonePort)) {
		t.Fatalf("clone: exit %d", r.code)
	}
	if got := strings.Fields(sqlOf(t, cloneNamespace, `"$MYSQL_DATABASE"`, "SELECT id FROM pitr ORDER BY id")); strings.Join(got, ",") != "1,2,11" {
		t.Fatalf("the clone's rows: %v, want 1,2,11 (those committed before %s)", got, target.Format(time.RFC3339))
	}
	if clone, first := tableChecksums(t, cloneNamespace, pitrTable), tableChecksums(t, stack.Namespace, pitrTable); clone != first {
		t.Errorf("the clone's other tables differ from the first stack's:\n%s", stateDiff(first, clone))
	}
	applyPreview(t)
	listsOnly(t, stack.Namespace, previewNamespace, cloneNamespace)
	answeredByItsOwn(t, stack.Namespace, env.cluster.webAddr())
	answeredByItsOwn(t, cloneNamespace, nodePortAddr(t, clonePort))
	answeredByItsOwn(t, previewNamespace, nodePortAddr(t, previewPort))
	netcheckAcrossStacks(t)

	first, clone := stackSummary(t, stack.Namespace), stackSummary(t, cloneNamespace)
	if r := kubectl(t, 3*time.Minute, "stack", "delete", "-n", previewNamespace, "--purge-data", "--yes"); r.code != 0 {
		t.Fatalf("delete -n %s: exit %d\n%s%s", previewNamespace, r.code, r.stdout, r.stderr)
	}
	waitStackGone(t, previewNamespace)
	if after := stackSummary(t, stack.Namespace); after != first {
		t.Errorf("deleting %s changed the first stack:\nbefore %s\nafter  %s", previewNamespace, first, after)
	}
	if after := stackSummary(t, cloneNamespace); after != clone {
		t.Errorf("deleting %s changed the clone:\nbefore %s\nafter  %s", previewNamespace, clone, after)
	}
	listsOnly(t, stack.Namespace, cloneNamespace)
	if r := kubectl(t, 3*time.Minute, "stack", "delete", "-n", cloneNamespace, "--purge-data", "--yes"); r.code != 0 {
		t.Fatalf("delete -n %s: exit %d\n%s%s", cloneNamespace, r.code, r.stdout, r.stderr)
	}
	waitStackGone(t, cloneNamespace)
	if after := stackSummary(t, stack.Namespace); after != first {
		t.Errorf("deleting the clone changed the first stack:\nbefore %s\nafter  %s", first, after)
	}
}

// writesAroundATarget takes a verified backup, then writes row 11, a
// time after it, and row 12 after that time, and waits until the archive
// holds both. It returns the time.
func writesAroundATarget(t *testing.T) time.Time {
	mustStackS3(t, "backup", "--to", pitrLocation)
	if out := mustStackS3(t, "backup", "verify", "--from", pitrLocation); !strings.Contains(out, "passed") {
		t.Fatalf("the backup's restore test: %s", out)
	}
	target := write(t, 11).Add(time.Second)
	waitFor(t, "the server's clock to pass "+target.Format(time.RFC3339), func() bool { return serverNow(t).After(target) })
	write(t, 12)
	waitArchived(t, "the row of 12", binlogEnd(t))
	return target
}

// clonesRefused: into the first stack's namespace, onto its NodePort, into
// an invalid namespace, to a time past the archive: one line each, and no
// namespace made.
func clonesRefused(t *testing.T, target time.Time) {
	at := target.Format(time.RFC3339)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-n", stack.Namespace}, 1, "is of the stack in namespace " + stack.Namespace + ": a clone goes into a namespace of its own"},
		{[]string{"-n", cloneNamespace, "--node-port", strconv.Itoa(stack.WebNodePort)}, 1,
			fmt.Sprintf("NodePort %d of Service %s/web is taken by Service %s/web (the stack in namespace %[3]s)", stack.WebNodePort, cloneNamespace, stack.Namespace)},
		{[]string{"-n", "Not_A_Name"}, 2, "is not a namespace name"},
		{[]string{"-n", cloneNamespace, "--to-time", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 1, "is later than the newest archived transaction: the archive reaches "},
		{[]string{"-n", cloneNamespace, "--to-time", "2001-01-01T00:00:00Z"}, 1, "ends before 2001-01-01T00:00:00Z"},
	} {
		args := append([]string{"clone", "--from", pitrLocation, "-k", "overlays/dev"}, c.args...)
		if !strings.Contains(strings.Join(c.args, " "), "--to-time") {
			args = append(args, "--to-time", at)
		}
		r := stackS3(t, args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && c.code == 2 {
			t.Errorf("clone %v: exit %d, want %d and %q\n%s%s", c.args, r.code, c.code, c.want, r.stdout, r.stderr)
		}
		noNamespace(t, cloneNamespace, fmt.Sprintf("clone %v", c.args))
	}
}

// noNamespace fails when namespace ns exists.
func noNamespace(t *testing.T, ns, what string) {
	t.Helper()
	if _, err := env.client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("%s made namespace %s (or reading it failed: %v)", what, ns, err)
	}
}

// applyPreview applies params/dev of an init folder in namespace preview,
// on its own NodePort and the tests' data folder.
func applyPreview(t *testing.T) {
	applyInit(t, "dev", previewNamespace, previewPort)
}

// applyInit writes an init folder of overlay from, moves its parameters
// into namespace ns, NodePort port and the tests' data folder (never the
// user's: main_test.go checks), and applies it.
func applyInit(t *testing.T, from, ns string, port int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ns)
	mustKubectl(t, time.Minute, "stack", "init", dir, "--from", from)
	params := filepath.Join(dir, "params", from)
	editFile(t, filepath.Join(params, "kustomization.yaml"), [][2]string{
		{"namespace: k8s-assignment}", "namespace: " + ns + "}"},
		{fmt.Sprintf("value: %d", stack.WebNodePort), fmt.Sprintf("value: %d", port)},
		{"\npatches:\n", "\npatches:\n  - target: {kind: PersistentVolume}\n    patch: |-\n      - {op: replace, path: /spec/hostPath/path, value: " + dataDir + "}\n"},
	})
	if r := kubectl(t, 6*time.Minute, "stack", "apply", "-k", params, "--timeout=5m"); r.code != 0 {
		t.Fatalf("%s's apply: exit %d\n%s%s", ns, r.code, r.stdout, r.stderr)
	}
}

// nodePortAddr is a node's address with port: where a stack's NodePort
// is answered (on kind, only the first stack's is mapped to loopback).
func nodePortAddr(t *testing.T, port int) string {
	t.Helper()
	addrs, err := kube.NodeInternalIPs(context.Background(), env.client)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("no node address: %v", err)
	}
	return net.JoinHostPort(addrs[0], strconv.Itoa(port))
}

// answeredByItsOwn asks the NodePort at addr until every web pod of
// namespace ns answered, and fails on an answer from any other pod.
func answeredByItsOwn(t *testing.T, ns, addr string) {
	t.Helper()
	list, err := env.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: labels.SelectorFromSet(stack.Web.Selector()).String()})
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]string{}
	for _, p := range list.Items {
		own[p.Name] = p.Status.PodIP
	}
	url := "http://" + addr + stack.ServingHostPath
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; len(seen) < len(own) && time.Now().Before(deadline); i++ {
		var got servingHost
		if err := getJSON(client, url, &got); err != nil {
			t.Fatalf("%s, request %d: %v", addr, i, err)
		}
		if own[got.PodName] != got.PodIP {
			t.Fatalf("%s (the stack in %s) was answered by %s (%s), not one of its web pods %v", addr, ns, got.PodName, got.PodIP, own)
		}
		seen[got.PodName] = true
	}
	if len(seen) != len(own) || len(own) != stack.WebReplicas {
		t.Errorf("%s (the stack in %s): answered by %v of its %d web pods %v", addr, ns, seen, len(own), own)
	}
}

// netcheckAcrossStacks runs netcheck --live in the first stack: every row
// holds, among them the denials to and from each other stack, proved by
// probes in their namespaces.
func netcheckAcrossStacks(t *testing.T) {
	r := kubectl(t, 5*time.Minute, "stack", "netcheck", "--live", "-o", "json")
	if r.code != 0 {
		t.Fatalf("netcheck --live: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var list struct {
		Items []netcheck.Check `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	proven := map[string]bool{}
	for _, c := range list.Items {
		denied := c.Live != nil && (c.Live.Result == "timed out" || c.Live.Result == "rejected")
		proven[c.Name] = c.OK() && c.Live != nil && c.Live.Allowed() == c.Want && (c.Want || denied)
	}
	for _, ns := range []string{cloneNamespace, previewNamespace} {
		for _, row := range []string{"web of the stack in " + ns + " -> mysql:3306", "web -> mysql of the stack in " + ns + ":3306",
			"web of the stack in " + ns + " -> its own mysql:3306"} {
			if !proven[row] {
				t.Errorf("netcheck --live has no row %q proven live:\n%s", row, r.stdout)
			}
		}
	}
}

// waitStackGone waits until namespace ns and its dev volume are gone.
func waitStackGone(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	waitForWithin(t, 2*time.Minute, "namespace "+ns+" and its volume gone", func() bool {
		_, nsErr := env.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		_, pvErr := env.client.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(ns), metav1.GetOptions{})
		return apierrors.IsNotFound(nsErr) && apierrors.IsNotFound(pvErr)
	})
}
