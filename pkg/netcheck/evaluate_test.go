package netcheck

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const ns = "app"

var (
	web = Endpoint{Name: "web", Namespace: ns, NamespaceLabels: map[string]string{"team": "a"},
		Labels: map[string]string{"tier": "web"}, IP: "10.0.0.10"}
	db = Endpoint{Name: "db", Namespace: ns, NamespaceLabels: map[string]string{"team": "a"},
		Labels: map[string]string{"tier": "db"}, IP: "10.0.0.20",
		Ports: []corev1.ContainerPort{{Name: "mysql", ContainerPort: 3306}, {Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}}
	other      = Endpoint{Name: "other", Namespace: ns, NamespaceLabels: map[string]string{"team": "a"}, Labels: map[string]string{"tier": "other"}, IP: "10.0.0.30"}
	foreignWeb = Endpoint{Name: "foreign-web", Namespace: "elsewhere", NamespaceLabels: map[string]string{"team": "b"}, Labels: map[string]string{"tier": "web"}, IP: "10.0.1.10"}
	outside    = Endpoint{Name: "outside", IP: "203.0.113.7"}
)

func sel(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func ingress(name string, podSel *metav1.LabelSelector, rules ...networkingv1.NetworkPolicyIngressRule) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: *podSel, Ingress: rules, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
}

func egress(name string, podSel *metav1.LabelSelector, rules ...networkingv1.NetworkPolicyEgressRule) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: *podSel, Egress: rules, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}}
}

func tcp(port int) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(int32(port)))}
}

func named(name string) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromString(name))}
}

func from(peers ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return peers }

func TestEvaluate(t *testing.T) {
	webOnly3306 := ingress("db-from-web", sel("tier", "db"), networkingv1.NetworkPolicyIngressRule{
		From: from(networkingv1.NetworkPolicyPeer{PodSelector: sel("tier", "web")}), Ports: []networkingv1.NetworkPolicyPort{tcp(3306)}})
	denyAll := ingress("deny", sel())
	cases := []struct {
		name     string
		policies []networkingv1.NetworkPolicy
		conn     Connection
		want     bool
	}{
		{"no policy: open", nil, Connection{From: other, To: db, Port: 3306}, true},
		{"default deny", []networkingv1.NetworkPolicy{denyAll}, Connection{From: web, To: db, Port: 3306}, false},
		{"allowed peer and port", []networkingv1.NetworkPolicy{denyAll, webOnly3306}, Connection{From: web, To: db, Port: 3306}, true},
		{"allowed peer, other port", []networkingv1.NetworkPolicy{denyAll, webOnly3306}, Connection{From: web, To: db, Port: 3307}, false},
		{"allowed peer, UDP", []networkingv1.NetworkPolicy{webOnly3306}, Connection{From: web, To: db, Port: 3306, Protocol: corev1.ProtocolUDP}, false},
		{"other pod", []networkingv1.NetworkPolicy{webOnly3306}, Connection{From: other, To: db, Port: 3306}, false},
		{"podSelector alone is the policy's namespace only", []networkingv1.NetworkPolicy{webOnly3306}, Connection{From: foreignWeb, To: db, Port: 3306}, false},
		{"policy does not select the destination: open", []networkingv1.NetworkPolicy{webOnly3306}, Connection{From: other, To: web, Port: 80}, true},
		{"policies are unioned", []networkingv1.NetworkPolicy{webOnly3306, ingress("db-from-other", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{PodSelector: sel("tier", "other")})})},
			Connection{From: other, To: db, Port: 9999}, true},
		{"empty podSelector peer: every pod of the namespace", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{PodSelector: sel()})})},
			Connection{From: other, To: db, Port: 1}, true},
		{"empty podSelector peer: not other namespaces", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{PodSelector: sel()})})},
			Connection{From: foreignWeb, To: db, Port: 1}, false},
		{"rule without from: everyone", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"), networkingv1.NetworkPolicyIngressRule{})},
			Connection{From: outside, To: db, Port: 1}, true},
		{"namespaceSelector alone: every pod there", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("team", "b")})})},
			Connection{From: foreignWeb, To: db, Port: 1}, true},
		{"namespaceSelector and podSelector in one peer: both must match", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("team", "b"), PodSelector: sel("tier", "db")})})},
			Connection{From: foreignWeb, To: db, Port: 1}, false},
		{"the same two selectors as two peers: either matches", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("team", "b")}, networkingv1.NetworkPolicyPeer{PodSelector: sel("tier", "db")})})},
			Connection{From: foreignWeb, To: db, Port: 1}, true},
		{"empty namespaceSelector: all namespaces", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel()})})},
			Connection{From: foreignWeb, To: db, Port: 1}, true},
		{"empty namespaceSelector: not outside", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel()})})},
			Connection{From: outside, To: db, Port: 1}, false},
		{"ipBlock", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}})})},
			Connection{From: outside, To: db, Port: 1}, true},
		{"ipBlock except", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{From: from(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24", Except: []string{"203.0.113.0/29"}}})})},
			Connection{From: outside, To: db, Port: 1}, false},
		{"named port", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{named("mysql")}})},
			Connection{From: web, To: db, Port: 3306}, true},
		{"named port is the destination's: another number", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{named("mysql")}})},
			Connection{From: web, To: db, Port: 3307}, false},
		{"named port with the wrong protocol", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{named("dns")}})},
			Connection{From: web, To: db, Port: 53}, false},
		{"endPort range", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(3300)), EndPort: ptr.To[int32](3310)}}})},
			Connection{From: web, To: db, Port: 3306}, true},
		{"endPort range, above", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(3300)), EndPort: ptr.To[int32](3310)}}})},
			Connection{From: web, To: db, Port: 3311}, false},
		{"protocol without port: every port of it", []networkingv1.NetworkPolicy{ingress("p", sel("tier", "db"),
			networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP)}}})},
			Connection{From: web, To: db, Port: 4444}, true},
		{"egress-only policy leaves ingress open", []networkingv1.NetworkPolicy{egress("web-out", sel("tier", "web"))},
			Connection{From: other, To: web, Port: 80}, true},
		{"egress-only policy denies the source's other traffic", []networkingv1.NetworkPolicy{egress("web-out", sel("tier", "web"))},
			Connection{From: web, To: db, Port: 3306}, false},
		{"egress allowed to the destination", []networkingv1.NetworkPolicy{egress("web-out", sel("tier", "web"),
			networkingv1.NetworkPolicyEgressRule{To: from(networkingv1.NetworkPolicyPeer{PodSelector: sel("tier", "db")}), Ports: []networkingv1.NetworkPolicyPort{named("mysql")}})},
			Connection{From: web, To: db, Port: 3306}, true},
		{"egress allowed but ingress denied", []networkingv1.NetworkPolicy{denyAll, egress("web-out", sel("tier", "web"), networkingv1.NetworkPolicyEgressRule{})},
			Connection{From: web, To: db, Port: 3306}, false},
		{"policyTypes unset with egress rules: both directions", []networkingv1.NetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: *sel("tier", "web"), Egress: []networkingv1.NetworkPolicyEgressRule{{To: from(networkingv1.NetworkPolicyPeer{PodSelector: sel("tier", "db")})}}}}},
			Connection{From: other, To: web, Port: 80}, false},
		{"policyTypes unset, no egress rules: ingress only", []networkingv1.NetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: *sel("tier", "web"), Ingress: []networkingv1.NetworkPolicyIngressRule{{}}}}},
			Connection{From: web, To: outside, Port: 443}, true},
		{"a policy of another namespace does not apply", []networkingv1.NetworkPolicy{func() networkingv1.NetworkPolicy {
			p := denyAll
			p.Namespace = "elsewhere"
			return p
		}()}, Connection{From: web, To: db, Port: 3306}, true},
	}
	for _, c := range cases {
		got := Evaluate(c.policies, c.conn)
		if got.Allowed != c.want {
			t.Errorf("%s: %s allowed=%v (%s), want %v", c.name, c.conn, got.Allowed, got.Reason, c.want)
		}
	}
}
