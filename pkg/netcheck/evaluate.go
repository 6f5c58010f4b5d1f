// Package netcheck evaluates Kubernetes NetworkPolicy semantics for a
// connection between two endpoints, proves the stack's expectations with
// them, and probes the live network to compare. It knows nothing of cobra.
package netcheck

import (
	"fmt"
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Endpoint is one end of a connection: a pod (Namespace set), or a host
// outside the cluster (Namespace empty, IP set).
type Endpoint struct {
	Name      string
	Namespace string
	// NamespaceLabels are the labels of the pod's namespace.
	NamespaceLabels map[string]string
	Labels          map[string]string
	IP              string
	// Ports are the pod's container ports, for named ports.
	Ports []corev1.ContainerPort
}

// IsPod says whether the endpoint is a pod of the cluster.
func (e Endpoint) IsPod() bool { return e.Namespace != "" }

// Connection is a connection attempt from one endpoint to a port of another.
type Connection struct {
	From, To Endpoint
	Port     int32
	Protocol corev1.Protocol
}

// Verdict is the outcome, with the policies that decided it.
type Verdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// Evaluate decides a connection as the NetworkPolicy specification does:
// the destination's ingress policies and the source's egress policies must
// both allow it; a direction no policy selects the pod for is open.
func Evaluate(policies []networkingv1.NetworkPolicy, c Connection) Verdict {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	in := direction(policies, c, networkingv1.PolicyTypeIngress)
	if !in.Allowed {
		return in
	}
	out := direction(policies, c, networkingv1.PolicyTypeEgress)
	if !out.Allowed {
		return out
	}
	return Verdict{Allowed: true, Reason: in.Reason + "; " + out.Reason}
}

// direction decides one side: the policies of the destination's namespace
// for ingress, of the source's for egress.
func direction(policies []networkingv1.NetworkPolicy, c Connection, dir networkingv1.PolicyType) Verdict {
	subject, peer := c.To, c.From
	word := "ingress to " + c.To.Name
	if dir == networkingv1.PolicyTypeEgress {
		subject, peer = c.From, c.To
		word = "egress from " + c.From.Name
	}
	if !subject.IsPod() {
		return Verdict{Allowed: true, Reason: word + ": outside the cluster, no policy applies"}
	}
	var selecting, allowing []string
	for i := range policies {
		p := &policies[i]
		if p.Namespace != subject.Namespace || !hasType(p, dir) || !selects(&p.Spec.PodSelector, subject.Labels) {
			continue
		}
		selecting = append(selecting, p.Name)
		if ruleAllows(p, dir, peer, c) {
			allowing = append(allowing, p.Name)
		}
	}
	switch {
	case len(selecting) == 0:
		return Verdict{Allowed: true, Reason: word + ": no policy selects it (open)"}
	case len(allowing) > 0:
		return Verdict{Allowed: true, Reason: word + ": allowed by " + strings.Join(allowing, ", ")}
	}
	sort.Strings(selecting)
	return Verdict{Reason: word + ": selected by " + strings.Join(selecting, ", ") + ", none allows it"}
}

// hasType applies the defaulting of policyTypes: Ingress always, Egress
// when the policy has egress rules.
func hasType(p *networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return t == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	for _, pt := range p.Spec.PolicyTypes {
		if pt == t {
			return true
		}
	}
	return false
}

func ruleAllows(p *networkingv1.NetworkPolicy, dir networkingv1.PolicyType, peer Endpoint, c Connection) bool {
	if dir == networkingv1.PolicyTypeIngress {
		for _, r := range p.Spec.Ingress {
			if peersMatch(r.From, p.Namespace, peer) && portsMatch(r.Ports, c) {
				return true
			}
		}
		return false
	}
	for _, r := range p.Spec.Egress {
		if peersMatch(r.To, p.Namespace, peer) && portsMatch(r.Ports, c) {
			return true
		}
	}
	return false
}

// peersMatch: no peers means every peer; otherwise any one of them.
func peersMatch(peers []networkingv1.NetworkPolicyPeer, policyNS string, e Endpoint) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if peerMatches(p, policyNS, e) {
			return true
		}
	}
	return false
}

// peerMatches: podSelector alone means pods of the policy's namespace;
// namespaceSelector alone, every pod of the namespaces it selects; both in
// one peer, the pods that match both (not either). ipBlock matches by
// address, minus its exceptions.
func peerMatches(p networkingv1.NetworkPolicyPeer, policyNS string, e Endpoint) bool {
	if p.IPBlock != nil {
		return inBlock(p.IPBlock, e.IP)
	}
	if !e.IsPod() {
		return false
	}
	if p.NamespaceSelector == nil {
		if e.Namespace != policyNS {
			return false
		}
	} else if !selects(p.NamespaceSelector, e.NamespaceLabels) {
		return false
	}
	return p.PodSelector == nil || selects(p.PodSelector, e.Labels)
}

func inBlock(b *networkingv1.IPBlock, ip string) bool {
	addr := net.ParseIP(ip)
	if addr == nil {
		return false
	}
	if _, cidr, err := net.ParseCIDR(b.CIDR); err != nil || !cidr.Contains(addr) {
		return false
	}
	for _, ex := range b.Except {
		if _, cidr, err := net.ParseCIDR(ex); err == nil && cidr.Contains(addr) {
			return false
		}
	}
	return true
}

// portsMatch: no ports means every port; otherwise any one, by protocol
// (TCP when unset), number, range up to endPort, or the destination's
// named container port.
func portsMatch(ports []networkingv1.NetworkPolicyPort, c Connection) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if proto != c.Protocol {
			continue
		}
		if p.Port == nil {
			return true
		}
		if portNumber(p, c.To) == c.Port || (p.EndPort != nil && p.Port.IntVal <= c.Port && c.Port <= *p.EndPort && p.Port.StrVal == "") {
			return true
		}
	}
	return false
}

// portNumber resolves a policy port to a number; a named port is looked up
// among the destination's container ports of the same protocol (0 when it
// has none of that name).
func portNumber(p networkingv1.NetworkPolicyPort, to Endpoint) int32 {
	if p.Port.StrVal == "" {
		return p.Port.IntVal
	}
	proto := corev1.ProtocolTCP
	if p.Protocol != nil {
		proto = *p.Protocol
	}
	for _, cp := range to.Ports {
		cpProto := cp.Protocol
		if cpProto == "" {
			cpProto = corev1.ProtocolTCP
		}
		if cp.Name == p.Port.StrVal && cpProto == proto {
			return cp.ContainerPort
		}
	}
	return 0
}

func selects(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false // an invalid selector selects nothing
	}
	return s.Matches(labels.Set(l))
}

// String formats a connection for tables.
func (c Connection) String() string {
	proto := c.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	return fmt.Sprintf("%s -> %s:%d/%s", c.From.Name, c.To.Name, c.Port, proto)
}
