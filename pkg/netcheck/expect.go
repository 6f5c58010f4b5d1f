package netcheck

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Names of the endpoints that stand for pods the stack does not run.
const (
	OutsiderName  = "other-pod"
	ElsewhereNS   = "another-namespace"
	ElsewhereName = "web-lookalike-in-" + ElsewhereNS
	OutsideName   = "outside"
	// OutsideIP stands for a client outside the cluster (TEST-NET-3); the
	// static check never sends it traffic.
	OutsideIP = "203.0.113.10"
)

// Check is one expectation and what the policies say of it.
type Check struct {
	Name    string     `json:"check"`
	Conn    Connection `json:"-"`
	Want    bool       `json:"expectAllowed"`
	Verdict Verdict    `json:"verdict"`
	// Live is the probe's result, when --live ran it.
	Live *Probe `json:"live,omitempty"`
}

// OK says whether the policies, and the live probe if any, meet the expectation.
func (c Check) OK() bool {
	return c.Verdict.Allowed == c.Want && c.LiveAgrees()
}

// LiveAgrees says whether the live probe, where it ran and proved something,
// found what the policies say.
func (c Check) LiveAgrees() bool {
	return c.Live == nil || c.Live.Skipped != "" || c.Live.Inconclusive() || c.Live.Allowed() == c.Verdict.Allowed
}

// Unenforced counts the checks whose connection the policies deny but the
// live network let through: the mark of a network plugin that does not
// enforce NetworkPolicies at all.
func Unenforced(checks []Check) int {
	n := 0
	for _, c := range checks {
		if !c.Verdict.Allowed && c.Live != nil && c.Live.Allowed() {
			n++
		}
	}
	return n
}

// UnenforcedHint says what such a count means and where to go.
func UnenforcedHint(n int) string {
	return fmt.Sprintf("%d connection(s) the NetworkPolicies deny went through: this cluster's network plugin does not enforce NetworkPolicies "+
		"(kind's kindnetd enforces them only where the kernel has nftables queues; install kube-router or another enforcing plugin)", n)
}

// Scene is what the checks are evaluated against: the live pods of the
// stack, stand-ins for the pods it does not run, and the policies.
type Scene struct {
	Web, MySQL, Watcher Endpoint
	// Peer is another member of the HA tier's database, when it runs one.
	Peer                      *Endpoint
	Outsider, Elsewhere, Host Endpoint
	// Neighbours are the cluster's other stacks.
	Neighbours []Neighbour
	Policies   []networkingv1.NetworkPolicy
	// Note says what was left out, when something was.
	Note string
}

// ReadScene reads the stack's pods, the namespace's policies, and the
// other stacks' web and database pods and policies.
func ReadScene(ctx context.Context, clients *kube.Clients, ns string) (*Scene, error) {
	c := clients.Typed
	nsObj, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &stack.NotDeployedError{Namespace: ns, Missing: "namespace " + ns}
	}
	if err != nil {
		return nil, kube.Explain(err)
	}
	s := &Scene{}
	// In the stack's order, so a missing tier is always named the same way.
	for _, tier := range []struct {
		comp stack.Component
		into *Endpoint
	}{{stack.Web, &s.Web}, {stack.Database, &s.MySQL}, {stack.Watcher, &s.Watcher}} {
		p, err := runningPod(ctx, c, ns, tier.comp)
		if err != nil {
			return nil, err
		}
		*tier.into = PodEndpoint(p, nsObj.Labels)
	}
	if peer, err := peerPod(ctx, c, ns, s.MySQL.Name); err != nil {
		return nil, err
	} else if peer != nil {
		e := PodEndpoint(peer, nsObj.Labels)
		s.Peer = &e
	}
	s.Outsider = Endpoint{Name: OutsiderName, Namespace: ns, NamespaceLabels: nsObj.Labels,
		Labels: map[string]string{stack.LabelName: "netcheck-outsider"}}
	// A pod of another namespace that carries the web tier's labels: a
	// policy peer with a podSelector alone must not let it in.
	s.Elsewhere = Endpoint{Name: ElsewhereName, Namespace: ElsewhereNS,
		NamespaceLabels: map[string]string{corev1.LabelMetadataName: ElsewhereNS}, Labels: s.Web.Labels}
	s.Host = Endpoint{Name: OutsideName, IP: OutsideIP}
	if s.Policies, err = policies(ctx, c, ns); err != nil {
		return nil, err
	}
	return s, s.readNeighbours(ctx, clients, ns)
}

// PodEndpoint describes a live pod.
func PodEndpoint(p *corev1.Pod, nsLabels map[string]string) Endpoint {
	e := Endpoint{Name: p.Name, Namespace: p.Namespace, NamespaceLabels: nsLabels, Labels: p.Labels, IP: p.Status.PodIP}
	for _, c := range p.Spec.Containers {
		e.Ports = append(e.Ports, c.Ports...)
	}
	return e
}

func runningPod(ctx context.Context, c kubernetes.Interface, ns string, comp stack.Component) (*corev1.Pod, error) {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(comp.Selector()).String()})
	if err != nil {
		return nil, kube.Explain(err)
	}
	for i := range list.Items {
		if p := &list.Items[i]; p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && p.DeletionTimestamp == nil {
			return p, nil
		}
	}
	return nil, &stack.NotDeployedError{Namespace: ns, Missing: "running " + comp.Name + " pod"}
}

// peerPod is a running database pod other than name: the HA tier's
// members reach each other on Galera's ports. Nil for a single server.
func peerPod(ctx context.Context, c kubernetes.Interface, ns, name string) (*corev1.Pod, error) {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(stack.Database.Selector()).String()})
	if err != nil {
		return nil, kube.Explain(err)
	}
	for i := range list.Items {
		if p := &list.Items[i]; p.Name != name && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && p.DeletionTimestamp == nil {
			return p, nil
		}
	}
	return nil, nil
}

func policies(ctx context.Context, c kubernetes.Interface, namespaces ...string) ([]networkingv1.NetworkPolicy, error) {
	var out []networkingv1.NetworkPolicy
	for _, ns := range namespaces {
		list, err := c.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, kube.Explain(err)
		}
		out = append(out, list.Items...)
	}
	return out, nil
}

// Expectations are the stack's promises: only the web tier reaches MySQL,
// only on 3306, and the web tier is open to everyone on its port; and no
// other stack's web tier reaches its database, nor its web tier theirs.
func (s *Scene) Expectations() []Check {
	mysqlPort := int32(stack.MySQLPort)
	checks := []Check{
		{Name: "web -> mysql:3306", Conn: Connection{From: s.Web, To: s.MySQL, Port: mysqlPort}, Want: true},
		{Name: "web -> mysql:3307", Conn: Connection{From: s.Web, To: s.MySQL, Port: mysqlPort + 1}, Want: false},
		{Name: "watcher -> mysql:3306", Conn: Connection{From: s.Watcher, To: s.MySQL, Port: mysqlPort}, Want: false},
		{Name: "other pod in the namespace -> mysql:3306", Conn: Connection{From: s.Outsider, To: s.MySQL, Port: mysqlPort}, Want: false},
		{Name: "web-labelled pod in another namespace -> mysql:3306", Conn: Connection{From: s.Elsewhere, To: s.MySQL, Port: mysqlPort}, Want: false},
		{Name: "outside -> web:8080", Conn: Connection{From: s.Host, To: s.Web, Port: stack.WebContainerPort}, Want: true},
	}
	checks = append(checks, s.galeraChecks()...)
	checks = append(checks, s.neighbourChecks()...)
	for i := range checks {
		checks[i].Verdict = Evaluate(s.Policies, checks[i].Conn)
	}
	return checks
}

// galeraChecks are the HA tier's promises: its members reach each other
// on Galera's ports and the member-state port, and the web tier does not
// (nor anyone else: default deny). A member's own connections are probed
// live from the member itself (connectFromMember).
func (s *Scene) galeraChecks() []Check {
	if s.Peer == nil {
		return nil
	}
	var out []Check
	for _, port := range stack.GaleraPorts {
		out = append(out,
			// Into the member the web tier is tried against: a live
			// connection there proves the port listens, so the web
			// tier's refusal is a rejection, not a closed port.
			Check{Name: fmt.Sprintf("mysql member -> another member:%d", port), Conn: Connection{From: *s.Peer, To: s.MySQL, Port: port}, Want: true},
			Check{Name: fmt.Sprintf("web -> mysql:%d", port), Conn: Connection{From: s.Web, To: s.MySQL, Port: port}, Want: false})
	}
	return out
}
