package netcheck

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Query is a free question: may FROM reach TO on PORT?
type Query struct {
	From, FromNamespace string
	To, ToNamespace     string
	Port                string
}

// ParsePort reads N or N/PROTO (TCP, UDP, SCTP).
func ParsePort(s string) (int32, corev1.Protocol, error) {
	num, proto, _ := strings.Cut(s, "/")
	n, err := strconv.ParseInt(num, 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, "", fmt.Errorf("--port %q is not a port: use a number from 1 to 65535, optionally /TCP, /UDP or /SCTP", s)
	}
	p := corev1.Protocol(strings.ToUpper(proto))
	switch p {
	case "":
		p = corev1.ProtocolTCP
	case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
	default:
		return 0, "", fmt.Errorf("--port %q has an unknown protocol: use TCP, UDP or SCTP", s)
	}
	return int32(n), p, nil
}

// Run answers the query from the policies of both namespaces.
func (q Query) Run(ctx context.Context, c kubernetes.Interface) (Check, error) {
	port, proto, err := ParsePort(q.Port)
	if err != nil {
		return Check{}, err
	}
	from, err := endpoint(ctx, c, q.From, q.FromNamespace)
	if err != nil {
		return Check{}, fmt.Errorf("--from: %w", err)
	}
	to, err := endpoint(ctx, c, q.To, q.ToNamespace)
	if err != nil {
		return Check{}, fmt.Errorf("--to: %w", err)
	}
	pols, err := policies(ctx, c, uniq(q.FromNamespace, q.ToNamespace)...)
	if err != nil {
		return Check{}, err
	}
	conn := Connection{From: from, To: to, Port: port, Protocol: proto}
	v := Evaluate(pols, conn)
	return Check{Name: conn.String(), Conn: conn, Want: v.Allowed, Verdict: v}, nil
}

// endpoint is a pod by name, or a pod that would carry the labels k=v,...
func endpoint(ctx context.Context, c kubernetes.Interface, spec, ns string) (Endpoint, error) {
	nsObj, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Endpoint{}, fmt.Errorf("namespace %q does not exist", ns)
	}
	if err != nil {
		return Endpoint{}, kube.Explain(err)
	}
	if strings.Contains(spec, "=") {
		set, err := labels.ConvertSelectorToLabelsMap(spec)
		if err != nil {
			return Endpoint{}, fmt.Errorf("%q is neither a pod name nor labels k=v[,k=v]: %v", spec, err)
		}
		return Endpoint{Name: spec, Namespace: ns, NamespaceLabels: nsObj.Labels, Labels: set}, nil
	}
	pod, err := c.CoreV1().Pods(ns).Get(ctx, spec, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Endpoint{}, fmt.Errorf("no pod %q in namespace %q: name a pod, or give labels as k=v", spec, ns)
	}
	if err != nil {
		return Endpoint{}, kube.Explain(err)
	}
	return PodEndpoint(pod, nsObj.Labels), nil
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
