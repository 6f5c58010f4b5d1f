package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// explained is an error rewritten for a person: its message is one line that
// says what went wrong and what to do, and it still unwraps to the cause, so
// callers classify it with errors.Is/As.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// Explain rewrites the errors a user can act on into one line that says what
// went wrong and what to do. Other errors pass through on one line. The
// cause stays in the chain.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var noMatch *meta.NoKindMatchError
	var done *explained
	var msg string
	switch {
	case errors.As(err, &done): // explained already, deeper in the chain
		msg = OneLine(err)
	case errors.Is(err, context.Canceled):
		msg = "interrupted: " + OneLine(err)
	case IsTimeout(err):
		msg = "timed out: " + OneLine(err) + " (raise --request-timeout, or check the API server's load)"
	case apierrors.IsForbidden(err):
		msg = fmt.Sprintf("forbidden: %s (ask a cluster admin for the role docs/security.md lists: hack/rbac/kubectl-stack-user.yaml)", reason(err))
	case apierrors.IsUnauthorized(err):
		msg = "unauthorized: the cluster rejected your credentials (check --kubeconfig, --context and --token)"
	case errors.As(err, &noMatch):
		msg = fmt.Sprintf("unknown resource kind %s: the cluster does not serve it (install its CRD first, or remove it from the overlay)",
			noMatch.GroupKind.String())
	case nodePortTaken(err) != "":
		msg = fmt.Sprintf("NodePort %s is already allocated: another Service holds it (`kubectl get services -A | grep %[1]s`), or the API server "+
			"still counts it for a Service whose create was cut off (a crash, a killed client) and releases it by itself within about ten minutes: free it, or apply again later", nodePortTaken(err))
	case IsUnreachable(err):
		msg = fmt.Sprintf("cannot reach the cluster: %s (check --kubeconfig, --context and that the API server is up)", OneLine(err))
	case unexpectedResponse(err) != "":
		msg = OneLine(err) + ": " + unexpectedResponse(err)
	default:
		msg = OneLine(err)
	}
	return &explained{msg: msg, err: err}
}

// unexpectedResponse is the text of an error response client-go could not
// read as a Status (the kubelet's plain-text answer behind pods/log, say).
// client-go keeps it in a cause, out of the error's message, which then
// only says "the server rejected our request for an unknown reason".
func unexpectedResponse(err error) string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return ""
	}
	for _, c := range status.Status().Details.Causes {
		if c.Type == metav1.CauseTypeUnexpectedServerResponse && c.Message != "" && c.Message != "unknown" {
			return OneLine(errors.New(c.Message))
		}
	}
	return ""
}

// IsUnreachable tells whether err means the API server could not be reached
// at all: a connection that could not be made, or a name that did not
// resolve. A request cut off or timed out once it was under way is not.
func IsUnreachable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// IsTimeout tells whether err is a deadline that passed: the command's own
// (--request-timeout, a wait's --timeout) or a network read's.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// allocatedPort matches the API server's message for a NodePort it already
// counts as allocated.
var allocatedPort = regexp.MustCompile(`Invalid value: (\d+): provided port is already allocated`)

// nodePortTaken returns the NodePort an invalid Service was refused for
// because it is allocated, or "".
func nodePortTaken(err error) string {
	if !apierrors.IsInvalid(err) {
		return ""
	}
	if m := allocatedPort.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

func reason(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return OneLine(errors.New(status.Status().Message))
	}
	return OneLine(err)
}

// OneLine folds a multi-line error message onto one line.
func OneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
