package backup

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/exec"

	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// database is one incarnation of the database server: a pod deleted and
// created again under the same name is another, and so is its container
// restarted (a crash, a full disk, a failed liveness probe).
type database struct {
	c   *kube.Clients
	ns  string
	pod string
	uid types.UID
	// restarts is the container's restart count when it was opened.
	restarts int32
	// cpus is the database container's CPU limit in cores, 0 when it has
	// none.
	cpus float64
}

// openDatabase opens the server a dump, a restore or a test reaches, and
// fails unless it is ready (galera.Serving: on the HA tier, a Synced
// member).
func openDatabase(ctx context.Context, c *kube.Clients, ns string) (*database, error) {
	pod, err := galera.Serving(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	return &database{c: c, ns: ns, pod: pod.Name, uid: pod.UID, restarts: restarts(pod), cpus: cpuLimit(pod)}, nil
}

func cpuLimit(pod *corev1.Pod) float64 {
	for _, c := range pod.Spec.Containers {
		if c.Name == stack.MySQLContainer {
			return c.Resources.Limits.Cpu().AsApproximateFloat64()
		}
	}
	return 0
}

func restarts(pod *corev1.Pod) int32 {
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == stack.MySQLContainer {
			return st.RestartCount
		}
	}
	return 0
}

// goneWithin tells whether the pod was deleted, replaced or its server
// restarted since it was opened. The kubelet reports a container's restart
// a moment after its processes died, so it watches the pod's status for up
// to 10 s (only ever on a failure's path).
func (db *database) goneWithin(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		pod, err := db.c.Typed.CoreV1().Pods(db.ns).Get(ctx, db.pod, metav1.GetOptions{})
		if apierrors.IsNotFound(err) ||
			err == nil && (pod.UID != db.uid || pod.DeletionTimestamp != nil || restarts(pod) > db.restarts) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// run runs a shell script in the database container and names the real
// cause of a failure: this machine's file (LocalError), Ctrl-C or a
// deadline, the server's own error (ServerError), the script's exit
// status (ExitError), an API server out of reach, or the connection
// breaking under way (StreamError).
func (db *database) run(ctx context.Context, script string, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stderr := &tail{max: 4096}
	in := &readSide{r: stdin}
	out := &writeSide{w: stdout, cancel: cancel}
	var execIn io.Reader
	if stdin != nil {
		execIn = in
	}
	err := db.c.Exec(ctx, db.ns, db.pod, stack.MySQLContainer, []string{"sh", "-c", script}, execIn, out, stderr)
	switch {
	case in.err != nil:
		return in.err
	case out.err != nil:
		return out.err
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return kube.Explain(ctx.Err())
	}
	if se := parseServerError(stderr.String()); se != nil {
		if se.lostServer() && db.goneWithin(ctx) {
			return &StreamError{Pod: db.pod, Transferred: in.n + out.n, PodGone: true, Err: se}
		}
		return se
	}
	var exit exec.ExitError
	if errors.As(err, &exit) && exit.ExitStatus() == 137 && db.goneWithin(ctx) { // SIGKILLed with its container
		return &StreamError{Pod: db.pod, Transferred: in.n + out.n, PodGone: true, Err: err}
	}
	if errors.As(err, &exit) {
		msg := lastLine(stderr.String())
		if msg == "" {
			msg = "no message"
		}
		return &ExitError{Pod: db.pod, Status: exit.ExitStatus(), Message: msg}
	}
	if kube.IsUnreachable(err) {
		return kube.Explain(err)
	}
	return &StreamError{Pod: db.pod, Transferred: in.n + out.n, PodGone: db.goneWithin(ctx), Err: err}
}

// readSide feeds the exec's stdin, keeping what kubectl's executor drops:
// a read error of the local file.
type readSide struct {
	r   io.Reader
	n   int64
	err error
}

func (r *readSide) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = localError("read", err)
	}
	return n, err
}

// writeSide takes the exec's stdout. kubectl's executor drops a write
// error and goes on streaming, so the first one is kept and ends the exec.
type writeSide struct {
	w      io.Writer
	n      int64
	err    error
	cancel context.CancelFunc
}

func (w *writeSide) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = localError("write", err)
		w.cancel()
	}
	return n, err
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
