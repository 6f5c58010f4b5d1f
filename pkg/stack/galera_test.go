package stack_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The HA overlays run GaleraMembers members that find each other by the
// headless Service and tell each other their state on GaleraStatePort;
// start.sh reads those from its environment, so the StatefulSet, its
// environment and pkg/stack must say the same.
func TestGaleraMatchesPkgStack(t *testing.T) {
	for _, r := range everyOverlay(t) {
		if !r.ha() {
			continue
		}
		var db appsv1.StatefulSet
		r.get(t, stack.Database.Kind, stack.Database.Name, &db)
		if db.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
			t.Errorf("%s: podManagementPolicy %q: after a full stop every member must start to say where it stands", r.name, db.Spec.PodManagementPolicy)
		}
		c := db.Spec.Template.Spec.Containers[0]
		want := map[string]string{
			"GALERA_MEMBERS":    strconv.Itoa(int(*db.Spec.Replicas)),
			"GALERA_SERVICE":    db.Spec.ServiceName,
			"GALERA_STATE_PORT": strconv.Itoa(stack.GaleraStatePort),
		}
		for _, env := range c.Env {
			if w, ok := want[env.Name]; ok {
				if env.Value != w {
					t.Errorf("%s: %s=%q, want %q", r.name, env.Name, env.Value, w)
				}
				delete(want, env.Name)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: the database container has no %v", r.name, want)
		}
		for _, port := range stack.GaleraPorts {
			if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == port }) {
				t.Errorf("%s: the database container does not declare port %d", r.name, port)
			}
		}
		var pdb policyv1.PodDisruptionBudget
		r.get(t, "PodDisruptionBudget", stack.Database.Name, &pdb)
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("%s: the database's disruption budget lets %v go at once: one keeps the quorum", r.name, pdb.Spec.MaxUnavailable)
		}
	}
}

func TestProdHAPutsEachMemberOnItsOwnNode(t *testing.T) {
	r := render(t, "overlays/prod-ha")
	var db appsv1.StatefulSet
	r.get(t, stack.Database.Kind, stack.Database.Name, &db)
	aff := db.Spec.Template.Spec.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Fatalf("prod-ha: no required pod anti-affinity: %+v", aff)
	}
	term := aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
	if term.TopologyKey != corev1.LabelHostname || !slices.Equal(sortedKeys(term.LabelSelector.MatchLabels), sortedKeys(stack.Database.Selector())) {
		t.Errorf("prod-ha: anti-affinity %+v, want one member per %s", term, corev1.LabelHostname)
	}
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// Galera's ports reach a member from the other members only.
func TestGaleraPortsOpenBetweenMembersOnly(t *testing.T) {
	for _, r := range everyOverlay(t) {
		if !r.ha() {
			continue
		}
		pols := r.policies(t)
		tpl := r.podTemplates(t)
		member := pod{tpl[stack.Database.Name].Labels, tpl[stack.Database.Name].Spec.Containers[0].Ports}
		web := pod{tpl[stack.Web.Name].Labels, nil}
		for _, port := range stack.GaleraPorts {
			if !admits(pols, member, member, port) {
				t.Errorf("%s: member -> member:%d refused", r.name, port)
			}
			if admits(pols, web, member, port) {
				t.Errorf("%s: web -> member:%d allowed", r.name, port)
			}
			if admits(pols, pod{}, member, port) {
				t.Errorf("%s: outside -> member:%d allowed", r.name, port)
			}
		}
	}
}

// start.sh's decide: who joins, who creates the cluster, who bootstraps it
// after a full stop, and when nobody may.
func TestGaleraStartDecides(t *testing.T) {
	const a, b = "6b2f8f9e-0000-11f1-8000-000000000001", "9d1c0a2b-0000-11f1-8000-000000000002"
	cases := []struct {
		what  string
		me    string
		lines []string
		want  string
	}{
		{"a new cluster: the first member creates it", "mysql-0",
			[]string{"mysql-0 waiting none 0", "mysql-1 waiting none 0", "mysql-2 waiting none 0"}, "init"},
		{"a new cluster: the others wait for the first", "mysql-2",
			[]string{"mysql-0 waiting none 0", "mysql-1 waiting none 0", "mysql-2 waiting none 0"}, "wait:mysql-0 creates the cluster"},
		{"a member runs: join it", "mysql-1",
			[]string{"mysql-0 running", "mysql-1 waiting " + a + ":7 0", "mysql-2 running"}, "join"},
		{"an empty member joins a running cluster, never creates one", "mysql-0",
			[]string{"mysql-0 waiting none 0", "mysql-1 running"}, "join"},
		{"full stop: the most advanced bootstraps", "mysql-1",
			[]string{"mysql-0 waiting " + a + ":5 0", "mysql-1 waiting " + a + ":9 0", "mysql-2 waiting " + a + ":8 0"}, "bootstrap"},
		{"full stop: a stale member never bootstraps", "mysql-0",
			[]string{"mysql-0 waiting " + a + ":5 1", "mysql-1 waiting " + a + ":9 0", "mysql-2 waiting " + a + ":8 0"}, "wait:mysql-1 bootstraps the cluster (seqno 9)"},
		{"full stop: an equal seqno goes to the member safe to bootstrap", "mysql-2",
			[]string{"mysql-0 waiting " + a + ":9 0", "mysql-1 waiting " + a + ":9 0", "mysql-2 waiting " + a + ":9 1"}, "bootstrap"},
		{"full stop: equal and none safe, the lowest ordinal", "mysql-0",
			[]string{"mysql-0 waiting " + a + ":9 0", "mysql-1 waiting " + a + ":9 0", "mysql-2 waiting " + a + ":9 0"}, "bootstrap"},
		{"full stop: an empty member never bootstraps over data", "mysql-0",
			[]string{"mysql-0 waiting none 0", "mysql-1 waiting " + a + ":3 0", "mysql-2 waiting " + a + ":3 0"}, "wait:mysql-1 bootstraps the cluster (seqno 3)"},
		{"a member missing: the last to leave bootstraps", "mysql-1",
			[]string{"mysql-0 waiting " + a + ":9 0", "mysql-1 waiting " + a + ":9 1"}, "bootstrap"},
		{"a member missing and none safe: wait for the user", "mysql-1",
			[]string{"mysql-0 waiting " + a + ":5 0", "mysql-1 waiting " + a + ":9 0"},
			"wait:no member runs and 1 of 3 do not answer: kubectl stack recover"},
		{"a new cluster with a member missing: wait", "mysql-0",
			[]string{"mysql-0 waiting none 0", "mysql-1 waiting none 0"},
			"wait:no member runs and 1 of 3 do not answer: kubectl stack recover"},
		{"a state nobody can read: wait for the user", "mysql-0",
			[]string{"mysql-0 waiting " + a + ":9 0", "mysql-1 waiting unknown 0", "mysql-2 waiting " + a + ":8 0"},
			"wait:the state of mysql-1 cannot be read: kubectl stack recover"},
		{"two clusters' data: wait for the user", "mysql-0",
			[]string{"mysql-0 waiting " + a + ":9 0", "mysql-1 waiting " + b + ":20 0", "mysql-2 waiting " + a + ":8 0"},
			fmt.Sprintf("wait:members hold data of different clusters (%s %s): kubectl stack recover", a, b)},
	}
	script := filepath.Join("..", "..", "components", "galera", "start.sh")
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		cmd := exec.Command("bash", script, "decide", strconv.Itoa(stack.GaleraMembers), c.me)
		cmd.Stdin = strings.NewReader(strings.Join(c.lines, "\n") + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v: %s", c.what, err, out)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("%s: %s decides %q, want %q", c.what, c.me, got, c.want)
		}
	}
}
