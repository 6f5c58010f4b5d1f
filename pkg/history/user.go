package history

import (
	"context"
	"fmt"
	"os"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// WhoAmI is the user as the API server authenticated them (a
// SelfSubjectReview, what `kubectl auth whoami` asks).
func WhoAmI(ctx context.Context, c kubernetes.Interface) (string, error) {
	r, err := c.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("asking the API server who we are (SelfSubjectReview): %w", kube.Explain(err))
	}
	return r.Status.UserInfo.Username, nil
}

// holder names this process in the lock.
func holder(user string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s on %s (pid %d, kubectl-stack %s)", user, host, os.Getpid(), version.Version)
}
