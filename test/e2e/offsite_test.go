//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// offsite is the object store the off-site backup steps share, and the
// plugin's environment for it.
var offsite struct {
	store *objectStore
	env   []string
}

// useObjectStore starts the store the off-site steps share, unless an
// earlier step did.
func useObjectStore(t *testing.T) {
	t.Helper()
	if offsite.store == nil {
		offsite.store = startObjectStore(t)
		offsite.env = offsite.store.env(offsite.store.endpoint())
	}
}

const offsiteLocation = "s3://" + bucket + "/dev"

// stack runs `kubectl stack ARGS` with the object store's environment.
func stackS3(t *testing.T, args ...string) result {
	t.Helper()
	return kubectlEnv(t, 5*time.Minute, offsite.env, append([]string{"stack"}, args...)...)
}

func mustStackS3(t *testing.T, args ...string) string {
	t.Helper()
	r := stackS3(t, args...)
	if r.code != 0 {
		t.Fatalf("kubectl stack %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func listBackups(t *testing.T, from string) backup.Catalog {
	t.Helper()
	var cat backup.Catalog
	if err := json.Unmarshal([]byte(mustStackS3(t, "backups", "--from", from, "-o", "json")), &cat); err != nil {
		t.Fatal(err)
	}
	return cat
}

func complete(cat backup.Catalog) []string {
	var ids []string
	for _, b := range cat.Backups {
		if b.Manifest != nil {
			ids = append(ids, b.ID)
		}
	}
	return ids
}

// offsiteRoundTrip backs up into a real S3 server, lists, drops the
// databases and restores from the bucket: every table's checksum equal.
func offsiteRoundTrip(t *testing.T) {
	useObjectStore(t)
	before := databaseState(t)
	var m backup.Manifest
	if err := json.Unmarshal([]byte(mustStackS3(t, "backup", "--to", offsiteLocation, "-o", "json")), &m); err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, d := range m.Databases {
		for _, tb := range d.Tables {
			rows[d.Name+"."+tb.Name] = tb.Rows
			if tb.Checksum == "" || tb.Checksum == "NULL" {
				t.Errorf("%s.%s has no checksum in the manifest", d.Name, tb.Name)
			}
		}
	}
	if rows["shop.orders"] != 100000 || rows["ledger.entries"] != 60000 || m.Server.Version == "" || len(m.Data.SHA256) != 64 {
		t.Fatalf("manifest: rows %v, server %+v, data %+v", rows, m.Server, m.Data)
	}
	cat := listBackups(t, offsiteLocation)
	if ids := complete(cat); len(ids) != 1 || ids[0] != m.ID || cat.Backups[0].Verified() {
		t.Fatalf("backups lists %+v, want %s alone, not verified", cat.Backups, m.ID)
	}
	if table := mustStackS3(t, "backups", "--from", offsiteLocation); !strings.Contains(table, m.ID) || !strings.Contains(table, "ledger,shop") {
		t.Errorf("the table does not show the backup:\n%s", table)
	}
	sql(t, "DROP DATABASE shop; DROP DATABASE ledger")
	mustStackS3(t, "restore", "--from", offsiteLocation, "latest", "--yes")
	if after := databaseState(t); after != before {
		t.Fatalf("the databases differ after a restore from the bucket:\nbefore %s\nafter  %s", before, after)
	}
	// A local folder is a location too.
	dir := t.TempDir()
	mustStackS3(t, "backup", "--to", dir, "--compression", "zstd")
	local := listBackups(t, dir)
	if len(complete(local)) != 1 || !strings.HasSuffix(local.Backups[0].Manifest.Data.Key, ".sql.zst") {
		t.Fatalf("a folder's backups: %+v", local.Backups)
	}
	mustStackS3(t, "restore", "--from", dir, "--yes")
	if after := databaseState(t); after != before {
		t.Fatalf("the databases differ after a restore from a folder")
	}
}

// expectRefused checks a one-line error that names the cause and an
// exit status, and that the databases did not change.
func expectRefused(t *testing.T, what string, r result, code int, says string, before string) {
	t.Helper()
	msg := strings.TrimSpace(r.stderr)
	t.Logf("%s: exit %d: %s", what, r.code, lastLine(msg))
	if r.code != code || !strings.Contains(lastLine(msg), says) {
		t.Errorf("%s: exit %d (want %d), stderr %q, want it to say %q", what, r.code, code, msg, says)
	}
	if before != "" && databaseState(t) != before {
		t.Fatalf("%s changed the databases", what)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// offsiteFaults: wrong credentials, a missing bucket, an endpoint out of
// reach, a tampered object, a manifest of a newer plugin, --keep-last 0;
// each one line, nothing written, nothing changed.
func offsiteFaults(t *testing.T) {
	s := offsite.store
	before := databaseState(t)
	count := len(complete(listBackups(t, offsiteLocation)))
	wrong := s.env(s.endpoint())
	wrong[1] = "AWS_SECRET_ACCESS_KEY=not-the-secret"
	r := kubectlEnv(t, time.Minute, wrong, "stack", "backup", "--to", offsiteLocation)
	expectRefused(t, "wrong credentials", r, 1, "refused the credentials", "")
	r = stackS3(t, "backup", "--to", "s3://no-such-bucket/dev")
	expectRefused(t, "a missing bucket", r, 1, `bucket "no-such-bucket" does not exist`, "")
	r = kubectlEnv(t, time.Minute, s.env("http://"+env.nodeIP+":"+strconv.Itoa(freePort(t))), "stack", "backups", "--from", offsiteLocation)
	expectRefused(t, "an endpoint nothing answers", r, 1, "cannot reach the object store", "")
	if n := len(complete(listBackups(t, offsiteLocation))); n != count {
		t.Fatalf("the refused backups left %d backups, want %d", n, count)
	}

	r = stackS3(t, "backups", "prune", "--from", offsiteLocation, "--keep-last", "0")
	expectRefused(t, "--keep-last 0", r, 2, "would delete them all", "")

	m := mustStackS3(t, "backup", "--to", offsiteLocation, "-o", "jsonpath={.id} {.data.key}")
	id, key, _ := strings.Cut(m, " ")
	s.tamper(t, "dev/"+id+"/"+key)
	r = stackS3(t, "restore", "--from", offsiteLocation, id, "--yes")
	expectRefused(t, "a tampered data object", r, 1, "does not match its manifest", before)
	r = stackS3(t, "backup", "verify", id, "--from", offsiteLocation)
	expectRefused(t, "verify of a tampered data object", r, 1, "does not match its manifest", before)
	if !strings.Contains(string(s.get(t, "dev/"+id+"/verify.json")), `"passed": false`) {
		t.Error("the failed verdict was not written next to the manifest")
	}

	newer := strings.Replace(string(s.get(t, "dev/"+id+"/manifest.json")), `"format": 1`, `"format": 99`, 1)
	newID := "20200101T000000.000Z"
	s.put(t, "dev/"+newID+"/manifest.json", []byte(strings.Replace(newer, id, newID, -1)))
	r = stackS3(t, "restore", "--from", offsiteLocation, newID, "--yes")
	expectRefused(t, "a manifest of a newer plugin", r, 1, "upgrade kubectl-stack", before)
	if r := stackS3(t, "backups", "--from", offsiteLocation); !strings.Contains(r.stderr, newID) || strings.Contains(r.stdout, newID) {
		t.Errorf("the newer backup is listed as restorable, or not named:\n%s%s", r.stdout, r.stderr)
	}
}

// offsiteStoreDies: the store is killed in the middle of an upload. The
// backup fails naming it, nothing is listed as restorable, and once the
// store is back the next prune removes the unfinished upload.
func offsiteStoreDies(t *testing.T) {
	s := offsite.store
	count := len(complete(listBackups(t, offsiteLocation)))
	// Uncompressed, in 5 MiB parts, the dump takes several parts; the
	// store dies after 7 MiB reached it.
	proxy := s.dyingProxy(t, 7<<20)
	r := kubectlEnv(t, 5*time.Minute, s.env(proxy), "stack", "backup", "--to", offsiteLocation, "--compression", "none", "--s3-part-size", "5")
	expectRefused(t, "the store dying mid-upload", r, 1, "not written", "")
	s.start(t)
	if n := len(complete(listBackups(t, offsiteLocation))); n != count {
		t.Fatalf("%d complete backups after the failed one, want %d", n, count)
	}
	if s.unfinishedUploads(t) == 0 {
		t.Fatal("the store holds no unfinished upload: the store did not die mid-upload")
	}
	out := mustStackS3(t, "backups", "prune", "--from", offsiteLocation, "--keep-last", "10", "--debris-age", "0s")
	if n := s.unfinishedUploads(t); n != 0 || !strings.Contains(out, "unfinished upload") {
		t.Fatalf("prune left %d unfinished uploads:\n%s", n, out)
	}
}

// offsiteRetention: prune keeps the newest backups the policy names, and
// the only verified backup even when the policy would not.
func offsiteRetention(t *testing.T) {
	for i := 0; i < 2; i++ {
		mustStackS3(t, "backup", "--to", offsiteLocation)
	}
	ids := complete(listBackups(t, offsiteLocation))
	if len(ids) < 3 {
		t.Fatalf("%d backups, want 3 or more", len(ids))
	}
	// The oldest passes a restore test in a throwaway database.
	out := mustStackS3(t, "backup", "verify", ids[0], "--from", offsiteLocation)
	if !strings.Contains(out, "passed") {
		t.Fatalf("verify: %s", out)
	}
	noScratchNamespaces(t)
	for _, b := range listBackups(t, offsiteLocation).Backups {
		if b.ID == ids[0] && !b.Verified() {
			t.Fatalf("the verdict is not listed: %+v", b)
		}
	}
	dry := mustStackS3(t, "backups", "prune", "--from", offsiteLocation, "--keep-last", "1", "--dry-run=server", "-o", "json")
	if left := complete(listBackups(t, offsiteLocation)); len(left) != len(ids) {
		t.Fatalf("a dry run deleted backups: %v", dry)
	}
	mustStackS3(t, "backups", "prune", "--from", offsiteLocation, "--keep-last", "1")
	left := complete(listBackups(t, offsiteLocation))
	if len(left) != 2 || left[0] != ids[0] || left[1] != ids[len(ids)-1] {
		t.Fatalf("prune --keep-last 1 left %v of %v: want the verified oldest and the newest", left, ids)
	}
}

// noScratchNamespaces: every restore test's namespace is gone or going.
func noScratchNamespaces(t *testing.T) {
	t.Helper()
	list, err := env.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{LabelSelector: "kubectl-stack.io/restore-test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp == nil {
			t.Errorf("the restore test left namespace %s", ns.Name)
		}
	}
}

// renderForStore renders a test overlay of the backup components with the
// placeholders of their policies and location filled in: the API server's
// endpoint, the test's object store and the location given.
func renderForStore(t *testing.T, overlay, loc string) string {
	t.Helper()
	api, err := env.client.CoreV1().Endpoints("default").Get(context.Background(), "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	apiIP, apiPort := api.Subsets[0].Addresses[0].IP, api.Subsets[0].Ports[0].Port
	_, storePort, _ := strings.Cut(offsite.store.addr, env.nodeIP+":")
	rendered := mustKubectl(t, time.Minute, "kustomize", overlay)
	for from, to := range map[string]string{
		"cidr: 203.0.113.1/32": "cidr: " + apiIP + "/32",
		"port: 6443":           "port: " + strconv.Itoa(int(apiPort)),
		"cidr: 203.0.113.2/32": "cidr: " + env.nodeIP + "/32",
		"port: 443":            "port: " + storePort,
		"https://203.0.113.2":  offsite.store.endpoint(),
		"s3://kubectl-stack-backups/k8s-assignment": loc,
	} {
		if !strings.Contains(rendered, from) {
			t.Fatalf("%s no longer holds %q", overlay, from)
		}
		rendered = strings.ReplaceAll(rendered, from, to)
	}
	return rendered
}

// scheduledBackupRuns starts the scheduled-backup component's job once
// beside the dev stack, pointed at the test's object store: Pod Security
// admits it, its RBAC lets it exec mysqldump in mysql-0, its
// NetworkPolicy lets it reach the API server and the store, and its
// backup is complete and passes a restore test.
func scheduledBackupRuns(t *testing.T) {
	cron := "s3://" + bucket + "/cron"
	rendered := renderForStore(t, "overlays/scheduled-backup", cron)
	manifest := filepath.Join(t.TempDir(), "scheduled-backup.yaml")
	if err := os.WriteFile(manifest, []byte(rendered), 0o600); err != nil {
		t.Fatal(err)
	}
	storeKeys(t, stack.Namespace)
	t.Cleanup(func() {
		kubectl(t, time.Minute, "-n", stack.Namespace, "delete", "secret", "mysql-backup-credentials", "--ignore-not-found")
	})
	mustKubectl(t, time.Minute, "apply", "-f", manifest)
	t.Cleanup(func() { kubectl(t, time.Minute, "delete", "-f", manifest, "--ignore-not-found") })
	runScheduledBackup(t, stack.Namespace, cron)
}

// runScheduledBackup starts a job of the mysql-backup CronJob in
// namespace ns and waits until it completes: its one backup is in loc,
// pruned as the CronJob says, and passes a restore test.
func runScheduledBackup(t *testing.T, ns, loc string) {
	t.Helper()
	in := []string{"-n", ns}
	mustKubectl(t, time.Minute, append(in, "create", "job", "backup-now", "--from=cronjob/mysql-backup")...)
	t.Cleanup(func() {
		kubectl(t, time.Minute, append(in, "delete", "job", "backup-now", "--ignore-not-found")...)
	})
	if r := kubectl(t, 4*time.Minute, append(in, "wait", "--for=condition=complete", "job/backup-now", "--timeout=3m")...); r.code != 0 {
		logs := kubectl(t, time.Minute, append(in, "logs", "job/backup-now")...)
		t.Fatalf("the scheduled backup did not complete: %s\nlogs:\n%s%s", r.stderr, logs.stdout, logs.stderr)
	}
	logs := mustKubectl(t, time.Minute, append(in, "logs", "job/backup-now")...)
	t.Logf("the job's log:\n%s", logs)
	if ids := complete(listBackups(t, loc)); len(ids) != 1 || !strings.Contains(logs, "pruned: kept 1") {
		t.Fatalf("the job wrote %v to %s, want one backup, and its prune", ids, loc)
	}
	if out := mustStackS3(t, "backup", "verify", "--from", loc, "-n", ns); !strings.Contains(out, "passed") {
		t.Fatalf("the scheduled backup's restore test: %s", out)
	}
}
