package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// scratchLabel marks the namespaces restore tests create, with the ID of
// the backup under test.
const scratchLabel = "kubectl-stack.io/restore-test"

// scratch is a throwaway database server for a restore test: the stack's
// own database container (image, configuration, probes, security context)
// in a namespace of its own that enforces Pod Security "restricted", with
// an empty data folder, a random password, no Service, and a policy that
// denies all traffic (the test execs into it).
type scratch struct {
	c  *kube.Clients
	ns string
}

// newScratch starts the server, with room for a dump of dumpBytes, and
// waits until it is ready.
func newScratch(ctx context.Context, c *kube.Clients, stackNS, id string, dumpBytes int64, progress io.Writer) (*scratch, error) {
	set, err := c.Typed.AppsV1().StatefulSets(stackNS).Get(ctx, stack.Database.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &stack.NotDeployedError{Namespace: stackNS, Missing: "StatefulSet " + stack.Database.Name + " (the restore test runs its image)"}
	}
	if err != nil {
		return nil, kube.Explain(err)
	}
	ns, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "kubectl-stack-verify-",
		Labels: map[string]string{
			scratchLabel: id, stack.LabelPartOf: stack.Instance,
			"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
		},
	}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating the restore test's namespace: %w", kube.Explain(err))
	}
	s := &scratch{c: c, ns: ns.Name}
	fmt.Fprintf(progress, "restore test in namespace %s: starting a throwaway database ...\n", s.ns)
	spec := *set.Spec.Template.Spec.DeepCopy()
	galera.Alone(&spec)
	makeRoom(&spec, dumpBytes)
	if err := s.create(ctx, stackNS, spec); err != nil {
		return s, err
	}
	return s, s.waitReady(ctx)
}

// create copies the database's configuration and starts its container.
func (s *scratch) create(ctx context.Context, stackNS string, spec corev1.PodSpec) error {
	core := s.c.Typed.CoreV1()
	for _, v := range spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm, err := core.ConfigMaps(stackNS).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading the database's ConfigMap %s: %w", v.ConfigMap.Name, kube.Explain(err))
		}
		mine := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: cm.Name}, Data: cm.Data}
		if _, err := core.ConfigMaps(s.ns).Create(ctx, mine, metav1.CreateOptions{}); err != nil {
			return kube.Explain(err)
		}
	}
	if err := s.createSecrets(ctx, spec); err != nil {
		return err
	}
	deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-all"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}}
	if _, err := s.c.Typed.NetworkingV1().NetworkPolicies(s.ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
		return kube.Explain(err)
	}
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: stack.MySQLClaimTemplate, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	spec.Affinity, spec.NodeSelector = nil, nil
	spec.RestartPolicy = corev1.RestartPolicyNever
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: stack.MySQLPod, Labels: map[string]string{scratchLabel: "server"}}, Spec: spec}
	if _, err := core.Pods(s.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("starting the throwaway database: %w", kube.Explain(err))
	}
	return nil
}

// makeRoom raises the database container's ephemeral-storage limit by
// what a dump of dumpBytes becomes: the server's data folder here is an
// emptyDir, which counts against the pod's limit, so without it kubelet
// evicts the server half-way through a large backup's test. The tables
// with their indexes and the binary log the load writes come to about
// three times the dump.
func makeRoom(spec *corev1.PodSpec, dumpBytes int64) {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		limit, ok := c.Resources.Limits[corev1.ResourceEphemeralStorage]
		if c.Name != stack.MySQLContainer || !ok {
			continue
		}
		limit.Add(*resource.NewQuantity(3*dumpBytes, resource.BinarySI))
		c.Resources.Limits = c.Resources.Limits.DeepCopy()
		c.Resources.Limits[corev1.ResourceEphemeralStorage] = limit
	}
}

// createSecrets gives every Secret the container's environment names a
// random value per key: the throwaway server's own credentials.
func (s *scratch) createSecrets(ctx context.Context, spec corev1.PodSpec) error {
	secrets := map[string]map[string]string{}
	for _, c := range spec.Containers {
		for _, e := range c.Env {
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				if secrets[ref.SecretKeyRef.Name] == nil {
					secrets[ref.SecretKeyRef.Name] = map[string]string{}
				}
				secrets[ref.SecretKeyRef.Name][ref.SecretKeyRef.Key] = "verify" + randomHex(8)
			}
		}
	}
	for name, data := range secrets {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data}
		if _, err := s.c.Typed.CoreV1().Secrets(s.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			return kube.Explain(err)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// waitReady waits for the server, failing at once when its pod fails.
func (s *scratch) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for {
		pod, err := s.c.Typed.CoreV1().Pods(s.ns).Get(ctx, stack.MySQLPod, metav1.GetOptions{})
		switch {
		case err == nil && kube.PodReady(pod) && s.serving(ctx):
			return nil
		case err == nil && pod.Status.Phase == corev1.PodFailed:
			return fmt.Errorf("the throwaway database failed: %s", pod.Status.Message)
		case ctx.Err() != nil:
			return fmt.Errorf("the throwaway database did not become ready: %w", kube.Explain(ctx.Err()))
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// serving tells the server that will stay from the one the image's
// entrypoint runs to initialise a new data folder: that one answers the
// readiness probe on the same socket for a moment, then stops (a restore
// test once started loading into it: ERROR 2002). The images' entrypoints
// run it with networking off.
func (s *scratch) serving(ctx context.Context) bool {
	var out bytes.Buffer
	script := `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql --user=root --batch --skip-column-names -e "SELECT @@skip_networking"`
	err := s.c.Exec(ctx, s.ns, stack.MySQLPod, stack.MySQLContainer, []string{"sh", "-c", script}, nil, &out, io.Discard)
	return err == nil && strings.TrimSpace(out.String()) == "0"
}

// remove deletes the namespace and all in it, in a context of its own:
// after Ctrl-C too.
func (s *scratch) remove() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.c.Typed.CoreV1().Namespaces().Delete(ctx, s.ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing the restore test's namespace %s: %w (delete it with `kubectl delete namespace %s`)", s.ns, kube.Explain(err), s.ns)
	}
	return nil
}
