package kube

import (
	"context"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	kexec "k8s.io/kubectl/pkg/cmd/exec"
)

// Exec runs command in a container as `kubectl exec` does, with kubectl's
// own executor (WebSocket, falling back to SPDY). stdin may be nil. A
// non-zero exit comes back as k8s.io/utils/exec.ExitError.
func (c *Clients) Exec(ctx context.Context, ns, pod, container string, command []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return c.ExecTTY(ctx, ns, pod, container, command, stdin, stdout, stderr, nil)
}

// ExecTTY is Exec with a terminal in the container when sizes is not nil:
// stdout and stderr are one stream then, and sizes tells the terminal's
// size as it changes (kubectl's term.TTY.MonitorSize).
func (c *Clients) ExecTTY(ctx context.Context, ns, pod, container string, command []string, stdin io.Reader, stdout, stderr io.Writer, sizes remotecommand.TerminalSizeQueue) error {
	tty := sizes != nil
	if tty {
		stderr = nil
	}
	req := c.Typed.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   command,
			Stdin:     stdin != nil,
			Stdout:    stdout != nil,
			Stderr:    stderr != nil,
			TTY:       tty,
		}, scheme.ParameterCodec)
	return (&kexec.DefaultRemoteExecutor{}).ExecuteWithContext(ctx, req.URL(), c.Config, stdin, stdout, stderr, tty, sizes)
}
