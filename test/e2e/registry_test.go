//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-stack/kubectl-stack/pkg/images"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/pki"
	"github.com/kubectl-stack/kubectl-stack/testrig/registry"
)

// imageRegistry is a real registry (distribution) on the node's address:
// TLS with a CA the test makes, basic auth, and trusted by the node's
// containerd through a hosts.toml, so the node pulls from it as from any
// private registry.
type imageRegistry struct {
	host, user, password string
	// env lets the plugin in: Docker's configuration with the credentials,
	// and the CA.
	env []string
}

func startImageRegistry(t *testing.T) *imageRegistry {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.NewCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := registry.FreeAddr(env.nodeIP)
	if err != nil {
		t.Fatal(err)
	}
	r := &imageRegistry{host: addr, user: "e2e-pusher", password: "e2e-registry-password"}
	reg, err := registry.Start(context.Background(), registry.Options{Bin: filepath.Join(env.binDir, "registry"),
		Dir: filepath.Join(dir, "registry"), Addr: addr, CA: ca, Users: map[string]string{r.user: r.password}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Stop)
	hosts := filepath.Join(env.cluster.registryHostsDir(), addr)
	if err := os.MkdirAll(hosts, 0o755); err != nil {
		t.Fatal(err)
	}
	// The CA beside hosts.toml: the folder is at the same path on the nodes.
	caCopy := filepath.Join(hosts, "ca.crt")
	if err := copyFile(ca.CertFile, caCopy); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("server = %[1]q\n[host.%[1]q]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = %[2]q\n", "https://"+addr, caCopy)
	if err := os.WriteFile(filepath.Join(hosts, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hosts) })
	r.env = []string{"DOCKER_CONFIG=" + r.dockerConfig(t, r.password), "SSL_CERT_FILE=" + ca.CertFile}
	return r
}

// dockerConfig writes a Docker configuration holding password, as
// `docker login` leaves one, and returns its folder.
func (r *imageRegistry) dockerConfig(t *testing.T, password string) string {
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(r.user + ":" + password))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, r.host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// releaseImages builds the project's images for this machine as the
// release does and returns the archive and each image's digest.
func releaseImages(t *testing.T) (string, map[string]string) {
	t.Helper()
	out := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./hack/release", "--version", e2eVersion, "--out", out,
		"--platforms", "", "--image-platforms", "linux/"+runtime.GOARCH, "--revision", "e2e")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the release's images: %v\n%s", err, msg)
	}
	file := filepath.Join(out, "kubectl-stack_"+e2eVersion+"_images.tar")
	arch, err := images.OpenArchive(file)
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	digests := map[string]string{}
	for _, repo := range stack.OwnImages {
		named, ok := arch.Image(repo)
		if !ok {
			t.Fatalf("the release's archive has no %s", repo)
		}
		d, _ := named.Index.Digest()
		digests[repo] = d.String()
	}
	return file, digests
}

const e2eVersion = "v0.0.0-e2e"

// prodWithImages is overlays/prod with the project's images pinned to
// digests, as `make release` pins them.
func prodWithImages(t *testing.T, digests map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	prod, err := relativeTo(dir, "../../overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\nimages:\n", prod)
	for repo, d := range digests {
		fmt.Fprintf(&b, "  - name: %s\n    newTag: %s\n    digest: %s\n", repo, e2eVersion, d)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pushImages pushes the project's images: first with a password the
// registry refuses (exit 1, its 401 named, nothing pushed), then with the
// right one.
func pushImages(t *testing.T, reg *imageRegistry, overlay, archive string) {
	t.Helper()
	args := []string{"stack", "images", "push", "-k", overlay, "--archive", archive, "--to", reg.host + "/e2e", stack.WatcherImage, stack.PluginImage}
	wrong := []string{"DOCKER_CONFIG=" + reg.dockerConfig(t, "wrong-password"), reg.env[1]}
	r := kubectlEnv(t, 2*time.Minute, wrong, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "refused the credentials") || !strings.Contains(r.stderr, "401") {
		t.Fatalf("push with a wrong password: exit %d, want 1 and the registry's 401\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = kubectlEnv(t, 5*time.Minute, reg.env, args...)
	if r.code != 0 {
		t.Fatalf("images push: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("images push:\n%s", r.stdout)
}

// watcherFromRegistry waits for the watcher pod of the real node to run
// from image (a digest reference): its status' imageID names the digest
// the node pulled. Then `events` reads that pod's log.
func watcherFromRegistry(t *testing.T, image string) {
	t.Helper()
	digest := image[strings.LastIndex(image, "@")+1:]
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var pod *corev1.Pod
		for _, p := range pods(t, stack.Watcher) {
			if p.Spec.NodeName == env.cluster.realNode() {
				pod = &p
			}
		}
		if pod != nil && pod.Spec.Containers[0].Image == image && len(pod.Status.ContainerStatuses) == 1 &&
			pod.Status.ContainerStatuses[0].Ready && strings.HasSuffix(pod.Status.ContainerStatuses[0].ImageID, digest) {
			t.Logf("watcher %s runs %s (imageID %s)", pod.Name, image, pod.Status.ContainerStatuses[0].ImageID)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the real node's watcher did not run from %s in 3m: %+v", image, pod)
		}
		time.Sleep(time.Second)
	}
	// The watcher logs the node's pods once its informer has listed them.
	deadline = time.Now().Add(time.Minute)
	for {
		r := kubectl(t, time.Minute, "stack", "events", "--node", env.cluster.realNode(), "--tail", "-1")
		if r.code == 0 && strings.Contains(r.stdout, "created") {
			t.Logf("events --node %s:\n%s", env.cluster.realNode(), r.stdout)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events of the real node show no pod created after 1m: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		time.Sleep(time.Second)
	}
}

// relativeTo is path as seen from dir: Kustomize takes no absolute
// resource paths.
func relativeTo(dir, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.Rel(dir, abs)
}

// allowAPIServerPort lets the watcher reach this cluster's API server:
// prod's watcher-to-apiserver policy names 443 and 6443, the ports of
// nearly every cluster, but hack/'s control plane listens on a free port
// of its own; a cluster admin adds such a policy (README, Production).
func allowAPIServerPort(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	slices, err := env.client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=kubernetes"})
	if err != nil || len(slices.Items) == 0 || len(slices.Items[0].Ports) == 0 {
		t.Fatalf("the API server's endpoints: %v %v", slices, err)
	}
	port := intstr.FromInt32(*slices.Items[0].Ports[0].Port)
	tcp := corev1.ProtocolTCP
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-watcher-to-apiserver-port", Namespace: stack.Namespace},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: stack.Watcher.Selector()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}}}},
		},
	}
	if _, err := env.client.NetworkingV1().NetworkPolicies(stack.Namespace).Create(ctx, np, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
