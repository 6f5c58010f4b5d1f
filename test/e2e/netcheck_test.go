//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/netcheck"
)

// netcheckRun runs netcheck -o json and returns the checks by name.
func netcheckRun(t *testing.T, args ...string) (map[string]netcheck.Check, result) {
	t.Helper()
	r := kubectl(t, 5*time.Minute, append([]string{"stack", "netcheck", "-o", "json"}, args...)...)
	var list struct {
		Kind  string           `json:"kind"`
		Items []netcheck.Check `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Kind != "NetworkCheckList" {
		t.Fatalf("netcheck %v -o json: exit %d: kind %q, %v\n%s%s", args, r.code, list.Kind, err, r.stdout, r.stderr)
	}
	out := map[string]netcheck.Check{}
	for _, c := range list.Items {
		out[c.Name] = c
	}
	return out, r
}

// netcheckHolds: with kube-router enforcing, the static verdicts, the live
// probes and the expectations agree.
func netcheckHolds(t *testing.T) {
	table := mustKubectl(t, time.Minute, "stack", "netcheck")
	t.Logf("netcheck:\n%s", table)
	checks, r := netcheckRun(t, "--live")
	if r.code != 0 {
		t.Fatalf("netcheck --live on the dev stack: exit %d\n%s", r.code, r.stderr)
	}
	if len(checks) != 6 {
		t.Fatalf("netcheck made %d checks, want 6", len(checks))
	}
	for name, c := range checks {
		if c.Live == nil {
			t.Fatalf("%s: no live result", name)
		}
		if c.Live.Skipped == "" && !c.Live.Inconclusive() && c.Live.Allowed() != c.Want {
			t.Errorf("%s: live %q, want allowed=%v", name, c.Live.Result, c.Want)
		}
	}
	// The rows that a probe can prove are proven, not skipped.
	for _, name := range []string{"web -> mysql:3306", "other pod in the namespace -> mysql:3306",
		"web-labelled pod in another namespace -> mysql:3306", "outside -> web:8080"} {
		if l := checks[name].Live; l.Skipped != "" || l.Inconclusive() {
			t.Errorf("%s: live %+v proves nothing", name, l)
		}
	}
	noProbesLeft(t)
	if r := kubectl(t, time.Minute, "stack", "netcheck", "--from", "app.kubernetes.io/name=web,app.kubernetes.io/instance=kubectl-stack",
		"--to", "mysql-0", "--port", "3306"); r.code != 0 || !strings.Contains(r.stdout, "ALLOW") {
		t.Errorf("query web labels -> mysql-0:3306: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := kubectl(t, time.Minute, "stack", "netcheck", "--from", "app=stranger", "--to", "mysql-0", "--port", "3306/TCP"); r.code != 1 || !strings.Contains(r.stdout, "DENY") {
		t.Errorf("query stranger -> mysql-0:3306: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
}

// netcheckCatchesAnOpenDatabase applies a policy that opens MySQL to every
// namespace: netcheck fails on exactly the rows it opens, statically and
// live; the dev overlay applied again prunes the policy and netcheck holds.
func netcheckCatchesAnOpenDatabase(t *testing.T) {
	mustKubectl(t, 6*time.Minute, "stack", "apply", "-k", "overlays/mysql-open")
	defer mustKubectl(t, 6*time.Minute, "stack", "apply", "-k", "overlays/dev")
	checks, r := netcheckRun(t, "--live")
	if r.code != 1 {
		t.Errorf("netcheck with MySQL open to all: exit %d, want 1", r.code)
	}
	opened := map[string]bool{
		"watcher -> mysql:3306":                               true,
		"other pod in the namespace -> mysql:3306":            true,
		"web-labelled pod in another namespace -> mysql:3306": true,
		"web -> mysql:3307":                                   true,
	}
	for name, c := range checks {
		if failed := !c.OK(); failed != opened[name] {
			t.Errorf("%s: failed=%v, want %v (verdict %+v, live %+v)", name, failed, opened[name], c.Verdict, c.Live)
		}
		if strings.Contains(name, "-> mysql:3306") && opened[name] && c.Verdict.Reason != "" && !strings.Contains(c.Verdict.Reason, "mysql-open-to-all") {
			t.Errorf("%s: decided by %q, want the opening policy named", name, c.Verdict.Reason)
		}
		// Only where something listens can a probe connect: not on 3307.
		if l := c.Live; l != nil && l.Skipped == "" && strings.HasSuffix(name, "-> mysql:3306") && opened[name] && !l.Allowed() {
			t.Errorf("%s: live %q, the open policy should let it through", name, l.Result)
		}
	}
	noProbesLeft(t)
}

func noProbesLeft(t *testing.T) {
	t.Helper()
	waitFor(t, "the probe pods and namespace to be gone", func() bool {
		pods := kubectl(t, time.Minute, "get", "pods", "-A", "-l", netcheck.ProbeLabel, "-o", "name")
		nss := kubectl(t, time.Minute, "get", "namespaces", "-l", netcheck.ProbeLabel, "-o", "name")
		return strings.TrimSpace(pods.stdout+nss.stdout) == ""
	})
}
