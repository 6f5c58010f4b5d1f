package stack_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubectl-stack/kubectl-stack/pkg/netcheck"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// pod is what the policy checks need of a pod: its labels and ports.
type pod struct {
	labels map[string]string
	ports  []corev1.ContainerPort
}

// admits asks pkg/netcheck's evaluator, the one reading of NetworkPolicy
// semantics in the project, whether src may reach port/TCP of dst; a pod
// without labels stands for a client outside the cluster.
func admits(pols []networkingv1.NetworkPolicy, src, dst pod, port int32) bool {
	return netcheck.Evaluate(pols, netcheck.Connection{From: endpoint(src), To: endpoint(dst), Port: port}).Allowed
}

func endpoint(p pod) netcheck.Endpoint {
	if p.labels == nil {
		return netcheck.Endpoint{Name: "outside", IP: netcheck.OutsideIP}
	}
	return netcheck.Endpoint{Name: "pod", Namespace: stack.Namespace, Labels: p.labels, Ports: p.ports,
		NamespaceLabels: map[string]string{corev1.LabelMetadataName: stack.Namespace}}
}

func hasIngress(np networkingv1.NetworkPolicy) bool {
	for _, pt := range np.Spec.PolicyTypes {
		if pt == networkingv1.PolicyTypeIngress {
			return true
		}
	}
	return len(np.Spec.PolicyTypes) == 0
}

func matches(t *testing.T, sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s.Matches(labelsSet(l))
}

type reachCase struct {
	what     string
	src, dst pod
	port     int32
	want     bool
}

func TestNetworkPoliciesLetOnlyWebReachMySQLOn3306(t *testing.T) {
	for _, r := range everyOverlay(t) {
		pols := r.policies(t)
		tpl := r.podTemplates(t)
		webPod := pod{tpl[stack.Web.Name].Labels, tpl[stack.Web.Name].Spec.Containers[0].Ports}
		dbPod := pod{tpl[stack.Database.Name].Labels, tpl[stack.Database.Name].Spec.Containers[0].Ports}
		watcherPod := pod{tpl[stack.Watcher.Name].Labels, nil}
		stranger := pod{labels: map[string]string{"app": "stranger"}}
		outside := pod{}

		cases := []reachCase{
			{"web -> mysql:3306", webPod, dbPod, stack.MySQLPort, true},
			{"web -> mysql:3307", webPod, dbPod, 3307, false},
			{"web -> mysql:22", webPod, dbPod, 22, false},
			{"watcher -> mysql:3306", watcherPod, dbPod, stack.MySQLPort, false},
			{"other pod -> mysql:3306", stranger, dbPod, stack.MySQLPort, false},
			{"outside -> web:8080", outside, webPod, stack.WebContainerPort, true},
			{"outside -> web:9090", outside, webPod, 9090, false},
			{"outside -> watcher:9090", outside, watcherPod, 9090, false},
		}
		// Prod's scheduled backup execs through the API server; it never
		// connects to the database.
		if backup, ok := tpl["mysql-backup"]; ok {
			backupPod := pod{backup.Labels, nil}
			cases = append(cases, reachCase{"backup -> mysql:3306", backupPod, dbPod, stack.MySQLPort, false})
		} else if r.name == "overlays/prod" {
			t.Errorf("prod has no scheduled backup CronJob")
		}
		// Prod's binary log archiver reads the logs as a replica, over
		// 3306; only it and the Job creating its user are let in, and
		// nobody reaches its metrics but the monitoring namespace.
		if archiver, ok := tpl[stack.BinlogArchiver.Name]; ok {
			archiverPod := pod{archiver.Labels, archiver.Spec.Containers[0].Ports}
			userPod := pod{tpl["binlog-archiver-user"].Labels, nil}
			cases = append(cases,
				reachCase{"binlog archiver -> mysql:3306", archiverPod, dbPod, stack.MySQLPort, true},
				reachCase{"binlog archiver user job -> mysql:3306", userPod, dbPod, stack.MySQLPort, true},
				reachCase{"binlog archiver -> mysql:22", archiverPod, dbPod, 22, false},
				reachCase{"web -> binlog archiver metrics", webPod, archiverPod, stack.BinlogArchiverMetricsPort, false})
		} else if r.name == "overlays/prod" {
			t.Errorf("prod has no binary log archiver")
		}
		for _, c := range cases {
			if got := admits(pols, c.src, c.dst, c.port); got != c.want {
				t.Errorf("%s: %s allowed=%v, want %v", r.name, c.what, got, c.want)
			}
		}
		if !hasDefaultDeny(pols) {
			t.Errorf("%s: no default-deny ingress policy", r.name)
		}
	}
}

func hasDefaultDeny(pols []networkingv1.NetworkPolicy) bool {
	for _, np := range pols {
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 &&
			hasIngress(np) && len(np.Spec.Ingress) == 0 {
			return true
		}
	}
	return false
}

// Every pod template passes Pod Security "restricted" as the API server's
// own admission code judges it.
func TestPodTemplatesPassPodSecurityRestricted(t *testing.T) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, r := range everyOverlay(t) {
		for name, tpl := range r.podTemplates(t) {
			res := policy.AggregateCheckResults(evaluator.EvaluatePod(level, &tpl.ObjectMeta, &tpl.Spec))
			if !res.Allowed {
				t.Errorf("%s: %s violates restricted: %s", r.name, name, res.ForbiddenDetail())
			}
		}
	}
}
