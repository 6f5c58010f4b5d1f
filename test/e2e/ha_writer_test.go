//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// writer is a pod of the HA stack's namespace that commits numbered rows
// through the mysql Service, one connection each, as an application would,
// and prints "committed N" only for a commit the server acknowledged. Rows
// are INSERT IGNOREd, so a retry of a commit whose answer was lost is one
// row.
type writer struct {
	pod, table string
}

const writerLabel = "kubectl-stack-e2e/writer"

var writers = 0

const writerScript = `set -u
sql() { mariadb --host=mysql --user=root --connect-timeout=3 --database="$MYSQL_DATABASE" -e "$1" 2>/tmp/error; }
until sql "CREATE TABLE IF NOT EXISTS $TABLE (n INT PRIMARY KEY, at DATETIME(6))"; do sleep 0.5; done
i=1
while [ ! -e /tmp/stop ]; do
  if sql "INSERT IGNORE INTO $TABLE VALUES ($i, NOW(6))"; then
    echo "committed $i $(date +%s%3N)"
    i=$((i + 1))
  else
    echo "refused $i $(date +%s%3N) $(head -1 /tmp/error)"
    sleep 0.2
  fi
done
echo stopped`

func startWriter(t *testing.T) *writer {
	t.Helper()
	ctx := context.Background()
	letWritersIn(t)
	writers++
	w := &writer{pod: fmt.Sprintf("writer-%d", writers), table: fmt.Sprintf("ha_writes_%d", writers)}
	secret := rootSecret(t, haNamespace)
	restricted := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		RunAsNonRoot:             ptr.To(true),
		RunAsUser:                ptr.To[int64](stack.DatabaseUID),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: w.pod, Labels: map[string]string{writerLabel: "true"}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers: []corev1.Container{{
				Name: "writer", Image: stack.GaleraImage, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"bash", "-c", writerScript},
				Env: []corev1.EnvVar{
					{Name: "TABLE", Value: w.table},
					{Name: "MYSQL_PWD", ValueFrom: secretKey(secret, "root-password")},
					{Name: "MYSQL_DATABASE", ValueFrom: secretKey(secret, "database")},
				},
				SecurityContext: restricted,
			}},
		},
	}
	if _, err := env.client.CoreV1().Pods(haNamespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.client.CoreV1().Pods(haNamespace).Delete(context.Background(), w.pod, metav1.DeleteOptions{})
	})
	return w
}

func secretKey(name, key string) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}
}

// letWritersIn opens the members' 3306 to the writer pods, and the
// writers' way out to them and to the DNS: the stack's policies let in
// only its web tier, and prod's let its pods out only where they need.
func letWritersIn(t *testing.T) {
	t.Helper()
	writers := metav1.LabelSelector{MatchLabels: map[string]string{writerLabel: "true"}}
	mysqlPort := []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(stack.MySQLPort))}}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: ptr.To(intstr.FromInt32(53))}, {Protocol: &tcp, Port: ptr.To(intstr.FromInt32(53))}}
	for _, np := range []*networkingv1.NetworkPolicy{{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-writers-to-mysql"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: stack.Database.Selector()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &writers}}, Ports: mysqlPort}},
		},
	}, {
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-writers-out"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: writers,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: stack.Database.Selector()}}}, Ports: mysqlPort},
				{Ports: dns},
			},
		},
	}} {
		_, err := env.client.NetworkingV1().NetworkPolicies(haNamespace).Create(context.Background(), np, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// refused counts the writes the writer was refused (and retried), and
// logs the first few with the server's answer.
func (w *writer) refused(t *testing.T) int {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(mustKubectl(t, time.Minute, "-n", haNamespace, "logs", w.pod), "\n") {
		if strings.HasPrefix(line, "refused ") {
			lines = append(lines, line)
		}
	}
	if len(lines) > 0 {
		t.Logf("%s: refused writes (row, time, answer):\n%s", w.pod, strings.Join(lines[:min(len(lines), 5)], "\n"))
	}
	return len(lines)
}

// committed is the highest row the writer was told was committed so far.
func (w *writer) committed(t *testing.T) int {
	t.Helper()
	r := kubectl(t, time.Minute, "-n", haNamespace, "logs", w.pod)
	last := 0
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "committed" {
			if n, err := strconv.Atoi(f[1]); err == nil && n > last {
				last = n
			}
		}
	}
	return last
}

func (w *writer) waitCommitted(t *testing.T, n int) {
	t.Helper()
	waitForWithin(t, 3*time.Minute, fmt.Sprintf("%s to commit %d rows", w.pod, n), func() bool { return w.committed(t) >= n })
}

// finish waits for writes to be taken again after a fault (20 more
// commits), stops the writer, and checks that every row it was told was
// committed is on every member, with equal tables on all of them. It
// returns how many writes were refused on the way.
func (w *writer) finish(t *testing.T) int {
	t.Helper()
	w.waitCommitted(t, w.committed(t)+20)
	haSynced(t)
	// The writer may stop, and its container end, before the exec returns
	// (exit 137): the pod's phase says whether it took the stop.
	r := kubectl(t, time.Minute, "-n", haNamespace, "exec", w.pod, "--", "touch", "/tmp/stop")
	ctx := context.Background()
	waitFor(t, w.pod+" stopped (the exec of touch /tmp/stop: exit "+strconv.Itoa(r.code)+" "+r.stderr+")", func() bool {
		p, err := env.client.CoreV1().Pods(haNamespace).Get(ctx, w.pod, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodSucceeded
	})
	last := w.committed(t)
	refused := w.refused(t)
	t.Logf("%s: %d rows committed, %d writes refused on the way", w.pod, last, refused)
	var sums []string
	for i := range stack.GaleraMembers {
		// wsrep_sync_wait: the read waits until the member applied every
		// write the cluster committed before it.
		got := strings.Fields(memberSQL(t, member(i), fmt.Sprintf("SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM %[1]s WHERE n <= %[2]d; CHECKSUM TABLE %[1]s", w.table, last)))
		if len(got) != 3 || got[0] != strconv.Itoa(last) {
			t.Errorf("%s holds %v of the %d committed rows (count, table, checksum)", member(i), got, last)
			continue
		}
		sums = append(sums, got[2])
	}
	for i, s := range sums {
		if s != sums[0] {
			t.Errorf("members' tables differ: checksum %s on member %d, %s on the first", s, i, sums[0])
		}
	}
	return refused
}
