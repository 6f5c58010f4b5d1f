package kube

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
)

// Explain rewrites the errors a user can act on into one line that says what
// went wrong and what to do. Other errors pass through on one line.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var noMatch *meta.NoKindMatchError
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("forbidden: %s (ask a cluster admin for the role the README's RBAC section lists)", reason(err))
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("unauthorized: the cluster rejected your credentials (check --kubeconfig, --context and --token)")
	case errors.As(err, &noMatch):
		return fmt.Errorf("unknown resource kind %s: the cluster does not serve it (install its CRD first, or remove it from the overlay)",
			noMatch.GroupKind.String())
	case IsUnreachable(err):
		return fmt.Errorf("cannot reach the cluster: %s (check --kubeconfig, --context and that the API server is up)", OneLine(err))
	}
	return errors.New(OneLine(err))
}

// IsUnreachable tells whether err means the API server could not be reached.
func IsUnreachable(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr)
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
