//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/status"
)

func statusReport(t *testing.T) (*status.Report, int) {
	t.Helper()
	r := kubectl(t, time.Minute, "stack", "status", "-o", "json")
	var rep status.Report
	if r.stdout != "" {
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("status -o json: %v\n%s", err, r.stdout)
		}
	}
	return &rep, r.code
}

func webRows(rep *status.Report) map[string]status.Row {
	out := map[string]status.Row{}
	for _, row := range rep.Rows {
		if row.Component == stack.Web.Component {
			out[row.Pod] = row
		}
	}
	return out
}

// status shows the live serving-host of each web pod, the bound hostPath
// volume, follows a replaced pod, and its exit code tells health.
func statusShowsTheStack(t *testing.T) {
	rep, code := statusReport(t)
	if code != 0 || !rep.Healthy {
		t.Fatalf("status of the ready stack: exit %d, warnings %v", code, rep.Warnings)
	}
	web := webRows(rep)
	ips := map[string]bool{}
	for name, row := range web {
		ips[row.PodIP] = true
		if row.ServingHost != name {
			t.Errorf("%s: serving-host %q read live, want the pod's name", name, row.ServingHost)
		}
	}
	if len(web) != stack.WebReplicas || len(ips) != stack.WebReplicas {
		t.Fatalf("status shows %d web rows with %d distinct IPs: %+v", len(web), len(ips), web)
	}
	if len(rep.Claims) != 1 || !rep.Claims[0].Bound || rep.Claims[0].Volume != stack.DevVolume(stack.Namespace) {
		t.Fatalf("status storage %+v, want data-mysql-0 bound to the hostPath volume", rep.Claims)
	}

	if rep.Members != appliedObjects {
		t.Errorf("status counts %d ApplySet members, want the %d objects apply created", rep.Members, appliedObjects)
	}
	if table := mustKubectl(t, time.Minute, "stack", "status"); strings.Contains(table, "\x1b[") {
		t.Errorf("status into a pipe printed colour codes:\n%q", table)
	}
	statusPrintsAsKubectl(t, web)
	statusWatchShowsReplacement(t, web)

	mustKubectl(t, time.Minute, "-n", stack.Namespace, "scale", "deployment/"+stack.Web.Name, "--replicas=0")
	if rep, code := statusReport(t); code != 1 {
		t.Errorf("status with web scaled to 0: exit %d, want 1 (warnings %v)", code, rep.Warnings)
	}
	mustKubectl(t, time.Minute, "-n", stack.Namespace, "scale", "deployment/"+stack.Web.Name, "--replicas=3")
	waitFor(t, "web back at 3 ready pods", func() bool {
		_, code := statusReport(t)
		return code == 0
	})
	if r := kubectl(t, time.Minute, "stack", "status", "-n", "default"); r.code != 3 {
		t.Errorf("status where no stack is: exit %d, want 3 (%s)", r.code, r.stderr)
	}
}

// statusPrintsAsKubectl: kubectl's -o jsonpath and -o name, and the table
// flags, on the live stack.
func statusPrintsAsKubectl(t *testing.T, web map[string]status.Row) {
	r := kubectl(t, time.Minute, "stack", "status", "-o", `jsonpath={.pods[?(@.component=="web")].podIP}`)
	got := strings.Fields(r.stdout)
	for _, row := range web {
		if !slices.Contains(got, row.PodIP) {
			t.Errorf("status -o jsonpath: %q lacks web pod IP %s (exit %d, %s)", r.stdout, row.PodIP, r.code, r.stderr)
		}
	}
	if len(got) != len(web) {
		t.Errorf("status -o jsonpath printed %d IPs, want %d: %q", len(got), len(web), r.stdout)
	}
	names := mustKubectl(t, time.Minute, "stack", "status", "-o", "name")
	for name := range web {
		if !strings.Contains(names, "pod/"+name+"\n") {
			t.Errorf("status -o name lacks pod/%s:\n%s", name, names)
		}
	}
	rows := mustKubectl(t, time.Minute, "stack", "status", "--no-headers", "--show-labels")
	if strings.Contains(rows, "COMPONENT") || strings.Contains(rows, "stack:") || !strings.Contains(rows, stack.LabelInstance+"="+stack.Instance) {
		t.Errorf("status --no-headers --show-labels printed a header, a summary, or no labels:\n%s", rows)
	}
}

// statusWatchShowsReplacement follows `status --watch -o json` while a web
// pod is deleted: a later report shows its replacement and no trace of it,
// without polling, and Ctrl-C ends the watch with the healthy verdict.
func statusWatchShowsReplacement(t *testing.T, web map[string]status.Row) {
	cmd, stdout := startKubectl(t, "stack", "status", "--watch", "-o", "json")
	reports := make(chan status.Report, 100)
	go func() {
		dec := json.NewDecoder(stdout)
		for {
			var rep status.Report
			if dec.Decode(&rep) != nil {
				close(reports)
				return
			}
			reports <- rep
		}
	}()
	first := <-reports
	if len(webRows(&first)) != stack.WebReplicas {
		t.Fatalf("first watched report has web rows %v", webRows(&first))
	}
	var victim string
	for name := range web {
		victim = name
		break
	}
	if err := env.client.CoreV1().Pods(stack.Namespace).Delete(context.Background(), victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(2 * time.Minute)
	for drawn := 1; ; drawn++ {
		select {
		case rep, ok := <-reports:
			if !ok {
				t.Fatalf("status --watch ended after %d reports", drawn)
			}
			rows := webRows(&rep)
			if _, old := rows[victim]; !old && len(rows) == stack.WebReplicas && rep.Healthy {
				t.Logf("report %d shows %s replaced", drawn+1, victim)
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
				if err := cmd.Wait(); err != nil {
					t.Fatalf("status --watch after Ctrl-C on a healthy stack: %v, want exit 0", err)
				}
				return
			}
		case <-timeout:
			t.Fatalf("status --watch showed no healthy report without %s within 2m", victim)
		}
	}
}
