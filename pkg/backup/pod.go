// Package backup dumps the stack's database to a local file and restores it,
// by running mysqldump and mysql inside the database pod over the exec
// subresource, as `kubectl exec` does. It knows nothing of cobra.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/exec"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// ErrNoDatabase means the namespace has no database pod of the stack.
type ErrNoDatabase struct{ Namespace string }

func (e ErrNoDatabase) Error() string {
	return fmt.Sprintf("no database pod %s in namespace %q: deploy the stack with `kubectl stack apply`, or pass -n with its namespace",
		stack.MySQLPod, e.Namespace)
}

// readyDatabase fails unless the database pod exists and is ready.
func readyDatabase(ctx context.Context, c *kube.Clients, ns string) error {
	pod, err := c.Typed.CoreV1().Pods(ns).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ErrNoDatabase{Namespace: ns}
	}
	if err != nil {
		return kube.Explain(err)
	}
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue && pod.DeletionTimestamp == nil {
			return nil
		}
	}
	return fmt.Errorf("database pod %s in namespace %q is not ready (%s): wait until `kubectl stack status` shows it ready",
		stack.MySQLPod, ns, pod.Status.Phase)
}

// run runs a shell script in the database container. Its stderr is kept
// (the last 4 KiB) for the error, which also carries the exit status.
func run(ctx context.Context, c *kube.Clients, ns, script string, stdin io.Reader, stdout io.Writer) error {
	stderr := &tail{max: 4096}
	err := c.Exec(ctx, ns, stack.MySQLPod, stack.MySQLContainer, []string{"sh", "-c", script}, stdin, stdout, stderr)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := lastLine(stderr.String())
	var exit exec.ExitError
	if errors.As(err, &exit) {
		if msg == "" {
			msg = "no message"
		}
		return fmt.Errorf("in %s: exit status %d: %s", stack.MySQLPod, exit.ExitStatus(), msg)
	}
	if msg != "" {
		return fmt.Errorf("in %s: %s (%s)", stack.MySQLPod, kube.OneLine(kube.Explain(err)), msg)
	}
	return fmt.Errorf("exec in %s: %s", stack.MySQLPod, kube.OneLine(kube.Explain(err)))
}

// tail keeps the last max bytes written to it.
type tail struct {
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.buf) }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
