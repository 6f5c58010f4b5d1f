package netcheck

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// FuzzEvaluate builds a policy from arbitrary selector labels, ports, a
// CIDR and policy types, and checks what must hold whatever they are: no
// panic; a deny-all ingress policy beside it never makes a connection
// allowed that was denied without it; allow-all policies in both
// namespaces always let it through.
func FuzzEvaluate(f *testing.F) {
	f.Add("tier", "db", "tier", "web", int32(3306), int32(0), "mysql", "10.0.0.0/8", "10.0.0.0/24", uint8(3), int32(3306))
	f.Add("", "", "team", "b", int32(0), int32(3310), "", "203.0.113.0/24", "", uint8(1), int32(3307))
	f.Add("tier", "web", "", "", int32(80), int32(79), "dns", "not-a-cidr", "::/0", uint8(2), int32(53))
	f.Fuzz(func(t *testing.T, selKey, selVal, peerKey, peerVal string, port, endPort int32, portName, cidr, except string, types uint8, connPort int32) {
		p := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "fuzzed", Namespace: ns},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: *sel(selKey, selVal)}}
		peer := networkingv1.NetworkPolicyPeer{PodSelector: sel(peerKey, peerVal)}
		if types&4 != 0 {
			peer.NamespaceSelector = sel(peerKey, peerVal)
		}
		if types&8 != 0 {
			peer = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: []string{except}}}
		}
		pp := networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromInt32(port))}
		if portName != "" {
			pp.Port = ptr.To(intstr.FromString(portName))
		}
		if endPort != 0 {
			pp.EndPort = ptr.To(endPort)
		}
		if types&1 != 0 {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{peer}, Ports: []networkingv1.NetworkPolicyPort{pp}}}
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		if types&2 != 0 {
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{peer}, Ports: []networkingv1.NetworkPolicyPort{pp}}}
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		for _, conn := range []Connection{
			{From: web, To: db, Port: connPort},
			{From: foreignWeb, To: db, Port: connPort, Protocol: corev1.ProtocolUDP},
			{From: outside, To: web, Port: connPort},
			{From: db, To: outside, Port: connPort},
		} {
			alone := Evaluate([]networkingv1.NetworkPolicy{p}, conn)
			denyAll := ingress("deny-all", sel())
			withDeny := Evaluate([]networkingv1.NetworkPolicy{p, denyAll}, conn)
			if withDeny.Allowed && !alone.Allowed {
				t.Fatalf("%s: a deny-all policy made it allowed: %+v", conn, withDeny)
			}
			var open []networkingv1.NetworkPolicy
			for _, n := range []string{ns, "elsewhere"} {
				open = append(open, networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "open", Namespace: n},
					Spec: networkingv1.NetworkPolicySpec{
						PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
						Ingress:     []networkingv1.NetworkPolicyIngressRule{{}},
						Egress:      []networkingv1.NetworkPolicyEgressRule{{}},
					}})
			}
			if v := Evaluate(append(open, p), conn); !v.Allowed {
				t.Fatalf("%s: denied beside allow-all policies: %+v", conn, v)
			}
		}
	})
}
