package netcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// ProbeLabel marks every object a live check creates, so a later run can
// remove what a killed one left.
const ProbeLabel = "kubectl-stack.io/netcheck"

// ConnectTimeout bounds each live connection attempt.
const ConnectTimeout = 3 * time.Second

// Probe is the outcome of one live connection attempt.
type Probe struct {
	// Result is "connected", "rejected" (refused, though the port listens:
	// another probe connected to it), "refused" (nothing may listen there),
	// "timed out", or what failed.
	Result string `json:"result"`
	// Target is the address tried.
	Target string `json:"target,omitempty"`
	// Skipped says why the check was not probed live.
	Skipped string `json:"skipped,omitempty"`
}

// Allowed says whether the connection went through.
func (p *Probe) Allowed() bool { return p.Result == "connected" }

// Failed says the attempt itself failed (an exec whose output was lost):
// no result, so it is tried again.
func (p *Probe) Failed() bool { return strings.HasPrefix(p.Result, "failed") }

// Inconclusive: a refusal comes either from a port nothing listens on or
// from a policy that rejects (kube-router does), so alone it proves
// neither. It is resolved to "rejected" when another probe of the same run
// connected to the same address.
func (p *Probe) Inconclusive() bool { return p.Result == "refused" }

// resolveRefusals turns a refusal into a rejection where the address is
// known to listen.
func resolveRefusals(checks []Check) {
	listening := map[string]bool{}
	for _, c := range checks {
		if c.Live != nil && c.Live.Allowed() {
			listening[c.Live.Target] = true
		}
	}
	for _, c := range checks {
		if c.Live != nil && c.Live.Inconclusive() && listening[c.Live.Target] {
			c.Live.Result = "rejected"
		}
	}
}

// LiveOptions shape the live probe.
type LiveOptions struct {
	Namespace string
	Image     string
	// Progress receives a line per step.
	Progress io.Writer
}

// probes are the pods a live run starts, by the endpoint they stand for
// (endpointName), and the temporary namespace of the one that stands for
// a pod of another namespace.
type probes struct {
	pods   map[string]*corev1.Pod
	tempNS string
}

// RunLive starts probe pods, tries each check's connection from the probe
// that stands for its source, and records the results in checks. Whatever
// it created is deleted before it returns, also on failure or Ctrl-C.
func RunLive(ctx context.Context, c *kube.Clients, s *Scene, checks []Check, o LiveOptions) (err error) {
	namespaces := s.probeNamespaces(o.Namespace)
	sweep(c, namespaces)
	p := &probes{pods: map[string]*corev1.Pod{}, tempNS: "kubectl-stack-netcheck-" + rand.String(5)}
	defer func() {
		fmt.Fprintln(o.Progress, "netcheck: removing the probe pods and namespace")
		sweep(c, namespaces)
	}()
	if err := p.start(ctx, c, s, o); err != nil {
		return err
	}
	for i := range checks {
		checks[i].Live = p.settled(ctx, c, s, checks[i])
	}
	resolveRefusals(checks)
	return nil
}

// probeNamespaces are where probe pods run: the stack's namespace and the
// other stacks'.
func (s *Scene) probeNamespaces(ns string) []string {
	out := []string{ns}
	for _, n := range s.Neighbours {
		out = append(out, n.Namespace)
	}
	return out
}

// Settle is how long a probe whose result disagrees with the policies, or
// that failed, is retried, and minTries how often at least: network plugins program a new
// pod's or policy's rules within seconds, not at once, and later on a
// loaded node (a try itself may take seconds there).
const (
	Settle   = 30 * time.Second
	minTries = 3
)

func (p *probes) settled(ctx context.Context, c *kube.Clients, s *Scene, ch Check) *Probe {
	deadline := time.Now().Add(Settle)
	for tries := 1; ; tries++ {
		got := p.try(ctx, c, s, ch)
		settled := got.Allowed() == ch.Verdict.Allowed && !got.Failed()
		if got.Skipped != "" || settled || tries >= minTries && time.Now().After(deadline) || ctx.Err() != nil {
			return got
		}
		time.Sleep(time.Second)
	}
}

func (p *probes) start(ctx context.Context, c *kube.Clients, s *Scene, o LiveOptions) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.tempNS, Labels: map[string]string{
		ProbeLabel: "probe", "pod-security.kubernetes.io/enforce": "restricted"}}}
	if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating probe namespace %s: %w", p.tempNS, kube.Explain(err))
	}
	// Each probe runs where the endpoint it stands for runs, with its
	// labels; the stand-in for a pod of another namespace in the
	// temporary one.
	type spec struct {
		endpoint Endpoint
		ns       string
	}
	specs := []spec{{s.Web, o.Namespace}, {s.Outsider, o.Namespace}, {s.Elsewhere, p.tempNS}}
	for _, n := range s.Neighbours {
		specs = append(specs, spec{n.Web, n.Namespace})
	}
	for _, sp := range specs {
		pod, err := c.Typed.CoreV1().Pods(sp.ns).Create(ctx, probePod(withoutTemplateHash(sp.endpoint.Labels), o.Image), metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating a probe pod in %s: %w", sp.ns, kube.Explain(err))
		}
		p.pods[endpointName(sp.endpoint)] = pod
	}
	fmt.Fprintf(o.Progress, "netcheck: waiting for %d probe pods (image %s) to run\n", len(specs), o.Image)
	for name, pod := range p.pods {
		if err := waitRunning(ctx, c, &pod); err != nil {
			return err
		}
		p.pods[name] = pod
	}
	return nil
}

// withoutTemplateHash drops the label that would let the web ReplicaSet
// adopt the probe.
func withoutTemplateHash(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if k != "pod-template-hash" {
			out[k] = v
		}
	}
	return out
}

// probePod passes Pod Security "restricted", never turns Ready (so no
// Service sends it traffic), and ends itself after ten minutes should its
// cleanup never come.
func probePod(l map[string]string, image string) *corev1.Pod {
	labels := map[string]string{ProbeLabel: "probe"}
	for k, v := range l {
		labels[k] = v
	}
	small := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi"),
		corev1.ResourceEphemeralStorage: resource.MustParse("16Mi")}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "netcheck-probe-", Labels: labels},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         ptr.To[int64](600),
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			AutomountServiceAccountToken:  ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65534),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name: "probe", Image: image, Command: []string{"sleep", "600"},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"false"}}}, PeriodSeconds: 300},
				Resources:      corev1.ResourceRequirements{Requests: small, Limits: small},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
}

func waitRunning(ctx context.Context, c *kube.Clients, pod **corev1.Pod) error {
	p := *pod
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := c.Typed.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return false, kube.Explain(err)
		}
		*pod = got
		if got.Status.Phase == corev1.PodFailed || got.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("probe pod %s/%s ended (%s) before it ran", p.Namespace, p.Name, got.Status.Phase)
		}
		return got.Status.Phase == corev1.PodRunning, nil
	})
	if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "probe pod") {
		return fmt.Errorf("probe pod %s/%s did not start within 2m (is the probe image %s on the nodes? pass --probe-image): %v",
			p.Namespace, p.Name, p.Spec.Containers[0].Image, err)
	}
	return err
}

// try runs one check's connection from the probe standing for its source.
// Into a member's transfer port, something listens there while it tries,
// standing for a transfer: a connection then proves the port open, and a
// refusal a rejection.
func (p *probes) try(ctx context.Context, c *kube.Clients, s *Scene, ch Check) *Probe {
	if transferPort(ch.Conn.Port) && s.Peer != nil && ch.Conn.To.Name == s.MySQL.Name && ch.Conn.To.Namespace == s.MySQL.Namespace {
		stop, err := listenIn(ctx, c, s.MySQL.Namespace, s.MySQL.Name, ch.Conn.Port)
		if err != nil {
			return &Probe{Result: "failed: " + kube.OneLine(err)}
		}
		defer stop()
	}
	if ch.Conn.From.Name == s.Host.Name {
		return dialFromHere(ctx, c, s.Web.Namespace)
	}
	if s.Peer != nil && ch.Conn.From.Name == s.Peer.Name && ch.Conn.From.Namespace == s.Peer.Namespace {
		return connectFromMember(ctx, c, *s.Peer, ch.Conn.To.IP, ch.Conn.Port)
	}
	from := p.pods[endpointName(ch.Conn.From)]
	if from == nil {
		return &Probe{Skipped: "a probe labelled like " + ch.Conn.From.Name + " would be adopted by its controller"}
	}
	return connectFrom(ctx, c, from, ch.Conn.To.IP, ch.Conn.Port)
}

// ncExit starts the line the probe's script ends with: netcat's exit
// status. Without it the exec's output was lost on the way, which says
// nothing of the connection.
const ncExit = "nc exit "

// tryTimeout bounds one try's exec: the connection's own timeout, and the
// exec's start and the result's way back on a loaded node.
const tryTimeout = ConnectTimeout + 15*time.Second

// connectFrom opens a TCP connection from inside a probe pod. Its script
// prints netcat's exit status, then waits until this side, having read
// it, closes the script's stdin: on a loaded node an exec whose process
// ended at once sometimes delivered no output at all (every try of a
// 30-second settle, once), so the process now outlives its output's
// delivery.
func connectFrom(ctx context.Context, c *kube.Clients, from *corev1.Pod, ip string, port int32) *Probe {
	cmd := []string{"sh", "-c", `nc -w "$0" "$1" "$2" </dev/null 2>&1; echo "` + ncExit + `$?"; cat >/dev/null`,
		strconv.Itoa(int(ConnectTimeout.Seconds())), ip, strconv.Itoa(int(port))}
	return connect(ctx, c, from.Namespace, from.Name, "probe", cmd, ip, port)
}

// connectFromMember opens a TCP connection from a member of the HA tier
// itself: a probe pod with its labels would be adopted by its
// StatefulSet. Its image has bash (and no nc): bash's /dev/tcp, bounded
// by timeout, reported as the nc script reports.
func connectFromMember(ctx context.Context, c *kube.Clients, from Endpoint, ip string, port int32) *Probe {
	cmd := []string{"sh", "-c", `timeout "$0" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>&1; r=$?; [ "$r" != 124 ] || echo "timed out"; echo "` + ncExit + `$r"; cat >/dev/null`,
		strconv.Itoa(int(ConnectTimeout.Seconds())), ip, strconv.Itoa(int(port))}
	return connect(ctx, c, from.Namespace, from.Name, stack.MySQLContainer, cmd, ip, port)
}

// connect runs a probe's script in a container and reads its result.
func connect(ctx context.Context, c *kube.Clients, ns, pod, container string, cmd []string, ip string, port int32) *Probe {
	ctx, cancel := context.WithTimeout(ctx, tryTimeout)
	defer cancel()
	stdin, closeStdin := io.Pipe()
	out := &resultWriter{mark: ncExit, done: func() { closeStdin.Close() }}
	err := c.Exec(ctx, ns, pod, container, cmd, stdin, out, out)
	closeStdin.Close()
	text := out.String()
	probe := classify(text, err)
	if !out.complete() {
		probe = &Probe{Result: "failed: the probe's output was lost"}
	}
	probe.Target = net.JoinHostPort(ip, strconv.Itoa(int(port)))
	return probe
}

// resultWriter collects a script's output (stdout and stderr, written from
// two goroutines) and calls done once the line that starts with mark is
// complete (a probe's: netcat's exit status, ncExit).
type resultWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	mark string
	done func()
	seen bool
}

func (w *resultWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if !w.seen && w.completeLocked() {
		w.seen = true
		w.done()
	}
	return len(b), nil
}

func (w *resultWriter) completeLocked() bool {
	_, rest, found := strings.Cut(w.buf.String(), w.mark)
	return found && strings.Contains(rest, "\n")
}

func (w *resultWriter) complete() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.completeLocked()
}

func (w *resultWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func classify(out string, err error) *Probe {
	lower := strings.ToLower(out)
	switch {
	case strings.Contains(out, ncExit+"0"):
		return &Probe{Result: "connected"}
	case strings.Contains(lower, "refused"):
		return &Probe{Result: "refused"}
	case strings.Contains(lower, "timed out"), strings.Contains(lower, "timeout"), err != nil && out == "":
		return &Probe{Result: "timed out"}
	}
	return &Probe{Result: "failed: " + strings.TrimSpace(out)}
}

// dialFromHere stands for a client outside the cluster: this machine opens
// the web Service's NodePort on a node's address.
func dialFromHere(ctx context.Context, c *kube.Clients, ns string) *Probe {
	addr, err := nodePortAddress(ctx, c, ns)
	if err != nil {
		return &Probe{Skipped: err.Error()}
	}
	conn, err := (&net.Dialer{Timeout: ConnectTimeout}).DialContext(ctx, "tcp", addr)
	if err == nil {
		_ = conn.Close()
		return &Probe{Result: "connected", Target: addr}
	}
	probe := classify(err.Error(), err)
	probe.Target = addr
	return probe
}

// nodePortAddress is the first node address and the NodePort of the web
// Service of namespace ns.
func nodePortAddress(ctx context.Context, c *kube.Clients, ns string) (string, error) {
	svc, err := c.Typed.CoreV1().Services(ns).Get(ctx, stack.Web.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("the web Service is not readable (%s)", kube.OneLine(kube.Explain(err)))
	}
	if len(svc.Spec.Ports) == 0 || svc.Spec.Ports[0].NodePort == 0 {
		return "", fmt.Errorf("the web Service %s/%s has no NodePort", ns, stack.Web.Name)
	}
	addrs, err := kube.NodeInternalIPs(ctx, c.Typed)
	if err != nil {
		return "", fmt.Errorf("no node address readable (%s)", kube.OneLine(kube.Explain(err)))
	}
	if len(addrs) == 0 {
		return "", errors.New("no node has an InternalIP to reach the NodePort on")
	}
	return net.JoinHostPort(addrs[0], strconv.Itoa(int(svc.Spec.Ports[0].NodePort))), nil
}

// sweep deletes the probe pods of the namespaces and every probe namespace,
// with a context of its own: it also runs after Ctrl-C.
func sweep(c *kube.Clients, namespaces []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: ProbeLabel}
	now := metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}
	for _, ns := range namespaces {
		_ = c.Typed.CoreV1().Pods(ns).DeleteCollection(ctx, now, sel)
	}
	list, err := c.Typed.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return
	}
	for _, n := range list.Items {
		_ = c.Typed.CoreV1().Namespaces().Delete(ctx, n.Name, metav1.DeleteOptions{})
	}
}
