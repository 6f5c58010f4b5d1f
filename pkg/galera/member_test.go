package galera

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestParse(t *testing.T) {
	cases := []struct {
		what, out string
		want      string
		synced    bool
	}{
		{"a Synced member", "phase=running\nwsrep_cluster_size\t3\nwsrep_cluster_status\tPrimary\nwsrep_flow_control_paused\t0.012\nwsrep_last_committed\t1234\nwsrep_local_state_comment\tSynced\n",
			"mysql-1 Synced, cluster of 3, primary, seqno 1234, flow control 1.2%", true},
		{"a minority member", "phase=running\nwsrep_cluster_size\t1\nwsrep_cluster_status\tnon-Primary\nwsrep_last_committed\t77\nwsrep_local_state_comment\tInitialized\n",
			"mysql-1 Initialized, cluster of 1, NOT primary: refuses writes, seqno 77, flow control 0.0%", false},
		{"waiting for its peers", "phase=waiting position=6b2f8f9e-0000-11f1-8000-000000000001:9 safe=0 reason=no member runs and 1 of 3 do not answer: kubectl stack recover\n",
			"mysql-1 waiting (seqno 9): no member runs and 1 of 3 do not answer: kubectl stack recover", false},
		{"waiting, empty", "phase=waiting position=none safe=0 reason=mysql-0 creates the cluster\n",
			"mysql-1 waiting (seqno unknown): mysql-0 creates the cluster", false},
		{"the server not up yet", "phase=running\nERROR 2002 (HY000): Can't connect to local server through socket '/var/run/mysqld/mysqld.sock' (2)\n",
			"mysql-1 starting: ERROR 2002 (HY000): Can't connect to local server through socket '/var/run/mysqld/mysqld.sock' (2)", false},
		{"nothing", "", "mysql-1: no answer", false},
	}
	for _, c := range cases {
		m := Member{Pod: "mysql-1"}
		parse(&m, c.out)
		if got := m.String(); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
		if m.Synced() != c.synced {
			t.Errorf("%s: Synced()=%v", c.what, m.Synced())
		}
	}
}

func TestWarnings(t *testing.T) {
	synced := Member{Pod: "mysql-0", State: "Synced", Primary: true, ClusterSize: 2}
	waiting := Member{Pod: "mysql-2", State: "waiting", Seqno: 9, Reason: "the state of mysql-1 cannot be read: kubectl stack recover"}
	minority := Member{Pod: "mysql-1", State: "Initialized", ClusterSize: 1}
	got := Warnings([]Member{synced, minority, waiting}, 3)
	want := []string{
		"database: 1 of 3 members Synced in the primary component",
		"database: members wait for a choice they cannot make safely alone (see their lines): kubectl stack recover",
		"database member mysql-1 is outside the primary component: it refuses reads and writes until it reaches the majority",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := Warnings([]Member{synced, synced, synced}, 3); len(got) != 0 {
		t.Errorf("three Synced members warned: %v", got)
	}
}

func TestSize(t *testing.T) {
	sts := &appsv1.StatefulSet{}
	if _, ok := Size(sts); ok {
		t.Error("a StatefulSet without GALERA_MEMBERS is a cluster")
	}
	sts.Spec.Template.Spec.Containers = []corev1.Container{{Name: "mysql", Env: []corev1.EnvVar{{Name: "GALERA_MEMBERS", Value: "3"}}}}
	if n, ok := Size(sts); !ok || n != 3 {
		t.Errorf("Size = %d, %v, want 3, true", n, ok)
	}
}

// A member's spec becomes a cluster of one; a single server's is unchanged.
func TestAlone(t *testing.T) {
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "mysql", Env: []corev1.EnvVar{{Name: "POD_NAME"}, {Name: "GALERA_MEMBERS", Value: "3"}}}}}
	Alone(&spec)
	sts := &appsv1.StatefulSet{}
	sts.Spec.Template.Spec = spec
	if n, ok := Size(sts); !ok || n != 1 {
		t.Errorf("after Alone: Size = %d, %v, want 1, true", n, ok)
	}
	single := corev1.PodSpec{Containers: []corev1.Container{{Name: "mysql", Env: []corev1.EnvVar{{Name: "MYSQL_DATABASE", Value: "app"}}}}}
	Alone(&single)
	if e := single.Containers[0].Env; len(e) != 1 || e[0].Value != "app" {
		t.Errorf("a single server's spec changed: %v", e)
	}
}

func TestChoose(t *testing.T) {
	waiting := func(pod string, seqno int64) Member {
		return Member{Pod: pod, State: "waiting", Seqno: seqno}
	}
	unread := Member{Pod: "mysql-2", Error: "not running (Pending)", Seqno: -1}
	c, err := Choose([]Member{waiting("mysql-0", 5), waiting("mysql-1", 9), unread}, "")
	if err != nil || c.Member.Pod != "mysql-1" {
		t.Fatalf("Choose = %+v, %v, want mysql-1", c, err)
	}
	want := "mysql-1 holds seqno 9, the highest of the members that answered; mysql-2 could not be read, and transactions only they hold would be lost"
	if c.Why() != want {
		t.Errorf("Why = %q, want %q", c.Why(), want)
	}
	if c, err := Choose([]Member{waiting("mysql-0", 9), waiting("mysql-1", 9)}, ""); err != nil || c.Member.Pod != "mysql-0" {
		t.Errorf("a tie: %+v, %v, want mysql-0", c, err)
	}
	if c, err := Choose([]Member{waiting("mysql-0", 5), waiting("mysql-1", 9)}, "mysql-0"); err != nil || c.Member.Pod != "mysql-0" {
		t.Errorf("--member mysql-0: %+v, %v", c, err)
	}
	if _, err := Choose([]Member{waiting("mysql-0", 5), unread}, "mysql-2"); err == nil || !strings.Contains(err.Error(), "choose one of mysql-0") {
		t.Errorf("--member of an unread member: %v", err)
	}
	running := Member{Pod: "mysql-0", State: "Synced", Primary: true}
	if _, err := Choose([]Member{running, waiting("mysql-1", 9)}, ""); !errors.Is(err, ErrRunning) {
		t.Errorf("a running cluster: %v, want ErrRunning", err)
	}
	if _, err := Choose([]Member{unread, {Pod: "mysql-1", State: "waiting", Seqno: -1}}, ""); err == nil || !strings.Contains(err.Error(), "no member's data state is known") {
		t.Errorf("nothing known: %v", err)
	}
}

// start.sh waits for the file Bootstrap writes.
func TestBootstrapRequestIsStartShs(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "components", "galera", "start.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir, file := filepath.Split(bootstrapRequest)
	if !strings.Contains(string(script), "run="+strings.TrimSuffix(dir, "/")+"\n") || !strings.Contains(string(script), "request=$run/"+file+"\n") {
		t.Errorf("start.sh does not wait for %s", bootstrapRequest)
	}
}
