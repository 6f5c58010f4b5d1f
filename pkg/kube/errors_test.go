package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func urlErr(err error) error {
	return &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api/v1/namespaces", Err: err}
}

func TestExplainNamesTheRealCause(t *testing.T) {
	refused := urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	readTimeout := urlErr(&net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}})
	portTaken := apierrors.NewInvalid(schema.GroupKind{Kind: "Service"}, "web", field.ErrorList{
		field.Invalid(field.NewPath("spec", "ports").Index(0).Child("nodePort"), 30080, "provided port is already allocated"),
	})
	for _, c := range []struct {
		name       string
		err        error
		want       string
		notWant    string
		stillIs    error
		unreachble bool
	}{
		{"Ctrl-C", urlErr(context.Canceled), "interrupted: ", "cannot reach", context.Canceled, false},
		{"a deadline", fmt.Errorf("listing pods: %w", urlErr(context.DeadlineExceeded)), "timed out: ", "cannot reach", context.DeadlineExceeded, false},
		{"a read that timed out", readTimeout, "timed out: ", "cannot reach", nil, false},
		{"a refused connection", refused, "cannot reach the cluster: ", "", syscall.ECONNREFUSED, true},
		{"a name that does not resolve", urlErr(&net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}), "cannot reach the cluster", "", nil, true},
		{"a NodePort still allocated", portTaken, "NodePort 30080 is already allocated", "", nil, false},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "x", errors.New("no")), "forbidden: ", "", nil, false},
		{"a response that is no Status", apierrors.NewGenericServerResponse(400, "GET", schema.GroupResource{Resource: "pods"}, "mysql-0",
			"container \"mysql\" in pod \"mysql-0\" is waiting to start:\nContainerCreating", 0, true),
			`(get pods mysql-0): container "mysql" in pod "mysql-0" is waiting to start: ContainerCreating`, "", nil, false},
		{"a response with no text", apierrors.NewGenericServerResponse(400, "GET", schema.GroupResource{Resource: "pods"}, "mysql-0", "unknown", 0, true),
			"unknown reason (get pods mysql-0)", "unknown reason (get pods mysql-0):", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Explain(c.err)
			if !strings.Contains(got.Error(), c.want) || (c.notWant != "" && strings.Contains(got.Error(), c.notWant)) {
				t.Errorf("Explain = %q, want %q", got, c.want)
			}
			if strings.Contains(got.Error(), "\n") {
				t.Errorf("more than one line: %q", got)
			}
			if !errors.Is(got, c.err) {
				t.Error("the cause is not in the chain")
			}
			if c.stillIs != nil && !errors.Is(got, c.stillIs) {
				t.Errorf("errors.Is(%v) is false", c.stillIs)
			}
			if IsUnreachable(c.err) != c.unreachble {
				t.Errorf("IsUnreachable = %v", !c.unreachble)
			}
		})
	}
	twice := Explain(fmt.Errorf("reading x: %w", Explain(urlErr(context.DeadlineExceeded))))
	if strings.Count(twice.Error(), "timed out") != 1 || strings.Count(twice.Error(), "--request-timeout") != 1 {
		t.Errorf("explained twice: %q", twice)
	}
	if !apierrors.IsForbidden(Explain(apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "x", errors.New("no")))) {
		t.Error("an explained Forbidden is no longer classified as Forbidden")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
