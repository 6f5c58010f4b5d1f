//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/steps"
)

// appliedObjects is how many objects the suite's overlays/dev holds.
var appliedObjects = func() int {
	objs, err := build.Load("overlays/dev")
	if err != nil {
		panic(err)
	}
	return len(objs)
}()

// The dev overlay on the real node, step by step as a user would go. The
// steps of the demo scope are what `make demo` promises, and a second stack
// beside the first (CI runs them on kind too).
func TestDevStack(t *testing.T) {
	demo := []string{steps.Demo}
	steps.Run(t, []steps.Step{
		{Name: "apply -k overlays/dev creates the stack and waits until it is ready", Fn: applyDev, Scopes: demo},
		{Name: "3 web pods run with distinct IPs, mysql-0 is ready on its hostPath volume, the watcher covers every node", Fn: podsRun, Scopes: demo},
		{Name: "NodePort 30080 is answered by every web pod with its own IP and serving-host", Fn: nodePortAnswers, Scopes: demo},
		{Name: "status shows live serving-hosts, the bound volume, a replaced pod, and health as its exit code", Fn: statusShowsTheStack, Scopes: demo},
		{Name: "a second stack is refused the first's NodePort naming it, runs beside it on its own, each NodePort answered by its own pods; its delete --purge-data leaves the first as it was", Fn: secondStackLeavesTheFirstAlone, Scopes: demo},
		{Name: "CoreDNS resolves the stack's names and kube-router enforces its NetworkPolicies", Fn: dnsAndPolicies, Scopes: demo},
		{Name: "netcheck: static verdicts, live probes and expectations agree; free queries answer by exit code", Fn: netcheckHolds, Scopes: demo},
		{Name: "netcheck fails on exactly the rows a policy opening MySQL to all opens, statically and live", Fn: netcheckCatchesAnOpenDatabase},
		{Name: "the watcher reports a pod's create, updates and delete in kubectl stack events", Fn: eventsReported},
		{Name: "kubectl stack events -f streams new events, survives a watcher pod's replacement, ends cleanly on Ctrl-C", Fn: eventsFollow},
		{Name: "kubectl stack mysql: a statement's row, an SQL error's exit status, a UTF-8 script byte for byte", Fn: mysqlStatementsAndScripts},
		{Name: "kubectl stack mysql on a terminal: a query, Ctrl-C cancels a statement not the session, \\q exits 0, no password on a command line", Fn: mysqlInteractive},
		{Name: "logs -f web shows each pod's line; after restart web, lines of the three new pods", Fn: logsFollowThroughARestart},
		{Name: "logs --previous shows what nginx wrote before its restart", Fn: logsPrevious},
		{Name: "restart database without a terminal or --yes is refused, mysql-0 untouched", Fn: restartDatabaseAsks},
		{Name: "report: the bundle's listing, no Secret's value in it; with mysql-0 deleted and Pending, written and naming what failed", Fn: reportBundle},
		{Name: "a row written to MySQL survives deleting mysql-0", Fn: rowSurvives},
		{Name: "a kubelet crash and restart: web pods ready again, the database's rows intact", Fn: kubeletRestart},
		{Name: "backup and restore of over 10 MB give the same table checksums after the databases were dropped", Fn: backupRoundTrip},
		{Name: "hack/mysql-backup.sh writes a dump the plugin verifies and restores", Fn: plainScriptBackup},
		{Name: "a backup stopped by Ctrl-C or by its pod's deletion leaves no file; damage, a wrong namespace, an unready pod are refused clearly", Fn: backupFailsCleanly},
		{Name: "a backup into a full disk names the disk's error and the path, and leaves no file", Fn: backupIntoFullDisk},
		{Name: "a restore that fails half-way (SQL error, Ctrl-C, pod deleted, kubelet or API server restarted) changes nothing; one that succeeds replaces", Fn: restoreFailuresChangeNothing},
		{Name: "a restore that fills the database's disk loses nothing: put back, or finished once there is room", Fn: restoreIntoAFullDisk},
		{Name: "backup into a real S3 server and into a folder, list, drop the databases, restore from each: every table's checksum equal", Fn: offsiteRoundTrip},
		{Name: "wrong credentials, a missing bucket, an endpoint out of reach, a tampered object, a newer manifest, --keep-last 0: one line each, nothing changed", Fn: offsiteFaults},
		{Name: "the object store dying mid-upload leaves nothing restorable, and the next prune removes the unfinished upload", Fn: offsiteStoreDies},
		{Name: "the scheduled-backup component's job passes Pod Security, backs up through the API server into the bucket, prunes; its backup verifies", Fn: scheduledBackupRuns},
		{Name: "prune keeps what --keep-last says and the only verified backup; a dry run deletes nothing", Fn: offsiteRetention},
		{Name: "the binlog-archive component runs: Pod Security admits it, its Job creates the archiver's user, it archives into the bucket", Fn: archiverRuns},
		{Name: "restore --to-time between t2 and t3, MySQL restarted after t1: the rows of t1 and t2 are back, t3's is not, other tables unchanged", Fn: pointInTimeRestore},
		{Name: "three stacks at once: staging cloned at a time between two writes, preview from params/dev; each its own NodePort and rows, denied to each other, listed; deleting one leaves the others", Fn: threeStacks},
		{Name: "the store down: the lag metric and status say so, the archiver catches up; archiver down: status says so; purged logs: a gap reported and refused", Fn: archiveOutages},
		{Name: "the binlog-archive component is removed", Fn: archiverCleanup},
		{Name: "a second apply reports everything unchanged", Fn: applyAgain},
		{Name: "delete removes everything but the data", Fn: deleteKeepsData},
	})
}

func applyDev(t *testing.T) {
	r := kubectl(t, 6*time.Minute, "stack", "apply", "-k", "overlays/dev", "--timeout=5m")
	t.Logf("apply summary:\n%s", r.stdout)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("%d created, 0 configured, 0 unchanged, 0 pruned", appliedObjects)) {
		t.Fatalf("summary:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "ready    StatefulSet k8s-assignment/mysql") {
		t.Errorf("no progress line for the database:\n%s", r.stderr)
	}
}

func pods(t *testing.T, c stack.Component) []corev1.Pod {
	t.Helper()
	list, err := env.client.CoreV1().Pods(stack.Namespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: labels.SelectorFromSet(c.Selector()).String()})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func podsRun(t *testing.T) {
	ctx := context.Background()
	web := pods(t, stack.Web)
	ips := map[string]bool{}
	for _, p := range web {
		if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			t.Errorf("web pod %s: phase %s, IP %q", p.Name, p.Status.Phase, p.Status.PodIP)
		}
		ips[p.Status.PodIP] = true
	}
	if len(web) != stack.WebReplicas || len(ips) != stack.WebReplicas {
		t.Fatalf("%d web pods with %d distinct IPs, want %d", len(web), len(ips), stack.WebReplicas)
	}
	db, err := env.client.CoreV1().Pods(stack.Namespace).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
	if err != nil || !podReady(db) {
		t.Fatalf("%s not ready: %v", stack.MySQLPod, err)
	}
	claim, err := env.client.CoreV1().PersistentVolumeClaims(stack.Namespace).Get(ctx, stack.MySQLClaim, metav1.GetOptions{})
	if err != nil || claim.Status.Phase != corev1.ClaimBound {
		t.Fatalf("claim %s not bound: %v", stack.MySQLClaim, err)
	}
	pv, err := env.client.CoreV1().PersistentVolumes().Get(ctx, claim.Spec.VolumeName, metav1.GetOptions{})
	if err != nil || pv.Spec.HostPath == nil {
		t.Fatalf("claim %s is bound to %q, not a hostPath volume: %v", stack.MySQLClaim, claim.Spec.VolumeName, err)
	}
	ds, err := env.client.AppsV1().DaemonSets(stack.Namespace).Get(ctx, stack.Watcher.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := env.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if int(ds.Status.NumberReady) != len(nodes.Items) || ds.Status.DesiredNumberScheduled != ds.Status.NumberReady {
		t.Fatalf("watcher ready on %d of %d nodes", ds.Status.NumberReady, len(nodes.Items))
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// servingHost is what /serving-host answers.
type servingHost struct {
	ServingHost string `json:"servingHost"`
	PodName     string `json:"podName"`
	PodIP       string `json:"podIP"`
}

func nodePortAnswers(t *testing.T) {
	want := map[string]string{}
	for _, p := range pods(t, stack.Web) {
		want[p.Name] = p.Status.PodIP
	}
	seen := map[string]servingHost{}
	url := "http://" + env.cluster.webAddr()
	// A new connection per request, so kube-proxy picks a pod each time.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	// kube-proxy adds a pod to the Service a moment after it turns ready, so
	// keep asking for a while rather than a fixed number of times.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; len(seen) < len(want) && time.Now().Before(deadline); i++ {
		var got servingHost
		if err := getJSON(client, url+stack.ServingHostPath, &got); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		seen[got.PodName] = got
		time.Sleep(20 * time.Millisecond)
	}
	for name, ip := range want {
		got, ok := seen[name]
		switch {
		case !ok:
			t.Errorf("pod %s never answered on the NodePort (answered: %v)", name, seen)
		case got.PodIP != ip || got.ServingHost != name:
			t.Errorf("pod %s answered %+v, want IP %s and serving-host %s", name, got, ip, name)
		}
	}
	page := get(t, client, url+"/")
	for name, ip := range want {
		if strings.Contains(page, name) && !strings.Contains(page, ip) {
			t.Errorf("the page of %s does not show its IP %s:\n%s", name, ip, page)
		}
	}
}

func getJSON(client *http.Client, url string, out any) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// sql runs a statement in the database pod as root; the password stays in
// the container's environment.
func sql(t *testing.T, statement string) string {
	t.Helper()
	return sqlIn(t, `"$MYSQL_DATABASE"`, statement)
}

// sqlAsRoot runs statement with no default database: a restore in progress
// may have dropped the stack's.
func sqlAsRoot(t *testing.T, statement string) string {
	t.Helper()
	return sqlIn(t, "", statement)
}

func sqlIn(t *testing.T, database, statement string) string {
	t.Helper()
	return sqlOf(t, stack.Namespace, database, statement)
}

// sqlOf runs statement in the database of the stack in namespace ns.
func sqlOf(t *testing.T, ns, database, statement string) string {
	t.Helper()
	return sqlOn(t, ns, stack.MySQLPod, database, statement)
}

// sqlOn runs statement in the database of pod, a server of the stack in
// namespace ns.
func sqlOn(t *testing.T, ns, pod, database, statement string) string {
	t.Helper()
	var out string
	// Right after a restart the first connection may be refused; retry.
	for attempt := 0; attempt < 20; attempt++ {
		r := kubectl(t, time.Minute, "-n", ns, "exec", pod, "-c", "mysql", "--",
			"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql --user=root --batch --skip-column-names `+database+` -e "$0"`, statement)
		if r.code == 0 {
			return r.stdout
		}
		if r.code == -1 { // killed at its timeout: waiting on something, not refused
			t.Logf("sql %q did not end within a minute; the server's sessions:\n%s", statement, processList(t))
		}
		out = r.stdout + r.stderr
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("sql %q: %s", statement, out)
	return ""
}

// processList is SHOW FULL PROCESSLIST of mysql-0, or why not.
func processList(t *testing.T) string {
	t.Helper()
	r := kubectl(t, time.Minute, "-n", stack.Namespace, "exec", stack.MySQLPod, "-c", "mysql", "--",
		"sh", "-c", `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql --user=root --batch -e 'SHOW FULL PROCESSLIST'`)
	return r.stdout + r.stderr
}

func rowSurvives(t *testing.T) {
	sql(t, "CREATE TABLE IF NOT EXISTS survivors (note VARCHAR(64)); INSERT INTO survivors VALUES ('written before the delete')")
	restartMySQL(t)
	if got := sql(t, "SELECT note FROM survivors"); !strings.Contains(got, "written before the delete") {
		t.Fatalf("the row did not survive: %q", got)
	}
}

// restartMySQL deletes mysql-0 and waits for its successor to be ready.
func restartMySQL(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	old, err := env.client.CoreV1().Pods(stack.Namespace).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.client.CoreV1().Pods(stack.Namespace).Delete(ctx, stack.MySQLPod, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForWithin(t, 3*time.Minute, stack.MySQLPod+" to come back ready", func() bool {
		p, err := env.client.CoreV1().Pods(stack.Namespace).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
		return err == nil && p.UID != old.UID && podReady(p)
	})
}

func applyAgain(t *testing.T) {
	r := kubectl(t, 3*time.Minute, "stack", "apply", "-k", "overlays/dev")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("0 created, 0 configured, %d unchanged, 0 pruned", appliedObjects)) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func deleteKeepsData(t *testing.T) {
	r := kubectl(t, 3*time.Minute, "stack", "delete")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ctx := context.Background()
	if _, err := env.client.CoreV1().PersistentVolumeClaims(stack.Namespace).Get(ctx, stack.MySQLClaim, metav1.GetOptions{}); err != nil {
		t.Fatalf("the claim is gone: %v", err)
	}
	if _, err := env.client.CoreV1().PersistentVolumes().Get(ctx, stack.DevVolume(stack.Namespace), metav1.GetOptions{}); err != nil {
		t.Fatalf("the volume is gone: %v", err)
	}
	for _, kind := range []string{"deployments", "statefulsets", "daemonsets", "services", "networkpolicies"} {
		out := mustKubectl(t, time.Minute, "-n", stack.Namespace, "get", kind, "-o", "name")
		if strings.TrimSpace(out) != "" {
			t.Errorf("delete left %s behind: %s", kind, out)
		}
	}
}

// tcpFrom tries a TCP connect from the first container of pod to host:port
// with a timeout, using bash's /dev/tcp (the web image is Debian).
func tcpFrom(t *testing.T, pod, host string, port int) bool {
	t.Helper()
	script := fmt.Sprintf("timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%d'", host, port)
	r := kubectl(t, 30*time.Second, "-n", stack.Namespace, "exec", pod, "-c", "nginx", "--", "bash", "-c", script)
	return r.code == 0
}

func dnsAndPolicies(t *testing.T) {
	web := pods(t, stack.Web)[0].Name
	out := mustKubectl(t, 30*time.Second, "-n", stack.Namespace, "exec", web, "-c", "nginx", "--",
		"getent", "hosts", stack.MySQLService+"."+stack.Namespace+".svc.cluster.local")
	svc, err := env.client.CoreV1().Services(stack.Namespace).Get(context.Background(), stack.MySQLService, metav1.GetOptions{})
	if err != nil || !strings.HasPrefix(out, svc.Spec.ClusterIP+" ") {
		t.Fatalf("CoreDNS answered %q for the mysql Service (ClusterIP %s): %v", out, svc.Spec.ClusterIP, err)
	}
	if !tcpFrom(t, web, stack.MySQLService, stack.MySQLPort) {
		t.Errorf("web cannot reach mysql:%d, which mysql-from-web allows", stack.MySQLPort)
	}
	// The watcher listens on 9090, and default-deny-ingress covers it: only a
	// NetworkPolicy agent that enforces stops this connection.
	watcher := pods(t, stack.Watcher)[0]
	healthz := "http://" + net.JoinHostPort(watcher.Status.PodIP, "9090") + "/healthz"
	if code, err := env.cluster.get(watcher.Spec.NodeName, healthz); err != nil || code != http.StatusOK {
		t.Fatalf("the watcher does not answer its node on %s (%d, %v), so the check below would prove nothing", healthz, code, err)
	}
	// kube-router programs a new pod's rules within moments of its start;
	// allow it that long, then the connection must be refused for good.
	deadline := time.Now().Add(20 * time.Second)
	for tcpFrom(t, web, watcher.Status.PodIP, 9090) {
		if time.Now().After(deadline) {
			t.Fatalf("web still reaches the watcher on 9090 despite default-deny-ingress: NetworkPolicies are not enforced")
		}
		time.Sleep(time.Second)
	}
}

// kubeletRestart: the node's kubelet crashes and comes back; the web pods
// are ready again and the database still holds its rows.
func kubeletRestart(t *testing.T) {
	restarted := time.Now()
	node := env.cluster.databaseNode()
	if err := env.cluster.restart("kubelet"); err != nil {
		t.Fatal(err)
	}
	// The pods' status is the old kubelet's until the new one has reported
	// in and probed them again: wait for it to renew the node's lease (every
	// 10 s; the node object itself is rewritten only every few minutes),
	// then for the probes (mysql's period is 10 s) before reading readiness.
	waitFor(t, "the restarted kubelet to renew its node lease", func() bool {
		lease, err := env.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), node, metav1.GetOptions{})
		return err == nil && lease.Spec.RenewTime != nil && lease.Spec.RenewTime.After(restarted)
	})
	time.Sleep(15 * time.Second)
	waitFor(t, "3 ready web pods and a ready mysql-0 after the kubelet restart", func() bool {
		ready := 0
		for _, p := range pods(t, stack.Web) {
			if podReady(&p) {
				ready++
			}
		}
		db, err := env.client.CoreV1().Pods(stack.Namespace).Get(context.Background(), stack.MySQLPod, metav1.GetOptions{})
		return ready == stack.WebReplicas && err == nil && podReady(db)
	})
	if got := sql(t, "SELECT note FROM survivors"); !strings.Contains(got, "written before the delete") {
		t.Fatalf("the row is gone after the kubelet restart: %q", got)
	}
	if r := kubectl(t, time.Minute, "stack", "status"); r.code != 0 {
		t.Fatalf("status after the kubelet restart: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
