//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
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
	if len(rep.Claims) != 1 || !rep.Claims[0].Bound || rep.Claims[0].Volume != "kubectl-stack-mysql-data" {
		t.Fatalf("status storage %+v, want data-mysql-0 bound to the hostPath volume", rep.Claims)
	}

	var victim string
	for name := range web {
		victim = name
		break
	}
	if err := env.client.CoreV1().Pods(stack.Namespace).Delete(context.Background(), victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "status to show the replacement of "+victim, func() bool {
		rep, code := statusReport(t)
		rows := webRows(rep)
		_, old := rows[victim]
		return code == 0 && !old && len(rows) == stack.WebReplicas
	})

	mustKubectl(t, time.Minute, "-n", stack.Namespace, "scale", "deployment/"+stack.Web.Name, "--replicas=0")
	if _, code := statusReport(t); code != 1 {
		t.Errorf("status with web scaled to 0: exit %d, want 1", code)
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
