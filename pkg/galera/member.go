// Package galera reads the members of the HA tier (components/galera): each
// member's own view of the cluster, as status, report and recover show it,
// and which pod serves the verbs that run SQL (Serving, a single server's
// too). It knows nothing of cobra.
package galera

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Member is one member's view of the cluster.
type Member struct {
	Pod  string `json:"pod"`
	Node string `json:"node,omitempty"`
	// State is Galera's (Synced, Donor/Desynced, Joining, ...); "waiting"
	// while start.sh waits for its peers, with Reason saying why.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Primary: the member is in the primary component, the one that
	// takes writes (a minority member is not).
	Primary     bool `json:"primary"`
	ClusterSize int  `json:"clusterSize"`
	// Seqno is the last transaction the member committed; while it
	// waits, the one its data folder holds (-1 unknown).
	Seqno int64 `json:"seqno"`
	// FlowControlPaused is the share of time replication was paused since
	// the status was last read (wsrep_flow_control_paused).
	FlowControlPaused float64 `json:"flowControlPaused"`
	// Error is why the member could not be read.
	Error string `json:"error,omitempty"`
}

// Synced tells a member that serves current data and takes writes.
func (m Member) Synced() bool { return m.State == "Synced" && m.Primary }

// membersEnv is start.sh's variable for the cluster's size.
const membersEnv = "GALERA_MEMBERS"

// Alone makes the pod spec of a member a cluster of one, for a throwaway
// server with no peers to wait for (a restore test): start.sh creates a
// cluster of its own. A single server's spec is left as it is.
func Alone(spec *corev1.PodSpec) {
	for i := range spec.Containers {
		for j, e := range spec.Containers[i].Env {
			if e.Name == membersEnv {
				spec.Containers[i].Env[j].Value = "1"
			}
		}
	}
}

// Size is the HA tier's number of members, from the StatefulSet's
// GALERA_MEMBERS (start.sh's), and false for a single server. Scaling the
// StatefulSet below it leaves the cluster short of members, not smaller.
func Size(sts *appsv1.StatefulSet) (int, bool) {
	for _, c := range sts.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == membersEnv {
				n, err := strconv.Atoi(e.Value)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// readScript prints the member's state line (start.sh's), then its wsrep
// status as name<TAB>value lines, or the client's error.
const readScript = `cat /var/run/mysqld/member-state 2>/dev/null || echo phase=unknown
MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mariadb --user=root --batch --skip-column-names --connect-timeout=3 -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_last_committed', 'wsrep_flow_control_paused')" 2>&1 || true`

// parse reads readScript's output into m.
func parse(m *Member, out string) {
	sc := bufio.NewScanner(strings.NewReader(out))
	m.Seqno = -1
	if !sc.Scan() {
		m.Error = "no answer"
		return
	}
	state := fields(sc.Text())
	if state["phase"] == "waiting" {
		m.State, m.Reason = "waiting", state["reason"]
		m.Seqno = seqno(state["position"])
		return
	}
	var problems []string
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			problems = append(problems, strings.TrimSpace(sc.Text()))
			continue
		}
		switch name {
		case "wsrep_local_state_comment":
			m.State = value
		case "wsrep_cluster_status":
			m.Primary = value == "Primary"
		case "wsrep_cluster_size":
			m.ClusterSize, _ = strconv.Atoi(value)
		case "wsrep_last_committed":
			m.Seqno, _ = strconv.ParseInt(value, 10, 64)
		case "wsrep_flow_control_paused":
			m.FlowControlPaused, _ = strconv.ParseFloat(value, 64)
		}
	}
	if m.State == "" {
		m.State = "starting"
		if len(problems) > 0 {
			m.Reason = problems[0]
		}
	}
}

// fields reads start.sh's "key=value ..." line; reason runs to its end.
func fields(line string) map[string]string {
	out := map[string]string{}
	if i := strings.Index(line, " reason="); i >= 0 {
		out["reason"] = line[i+len(" reason="):]
		line = line[:i]
	}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			out[k] = v
		}
	}
	return out
}

// seqno is the SEQNO of UUID:SEQNO, -1 for none or unknown.
func seqno(position string) int64 {
	_, s, ok := strings.Cut(position, ":")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// String is the member as status prints it.
func (m Member) String() string {
	switch {
	case m.Error != "":
		return fmt.Sprintf("%s: %s", m.Pod, m.Error)
	case m.State == "waiting":
		return fmt.Sprintf("%s waiting (seqno %s): %s", m.Pod, seqnoText(m.Seqno), m.Reason)
	case m.State == "starting":
		return fmt.Sprintf("%s starting%s", m.Pod, suffix(m.Reason))
	}
	component := "primary"
	if !m.Primary {
		component = "NOT primary: refuses writes"
	}
	return fmt.Sprintf("%s %s, cluster of %d, %s, seqno %d, flow control %.1f%%", m.Pod, m.State, m.ClusterSize, component, m.Seqno, 100*m.FlowControlPaused)
}

func seqnoText(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return strconv.FormatInt(n, 10)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
