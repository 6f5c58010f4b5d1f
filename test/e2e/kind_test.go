//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
)

const (
	// kindNodeImageEnv names the node image (hack/kind/build-node-image.sh's).
	kindNodeImageEnv = "KUBECTL_STACK_KIND_NODE_IMAGE"
	// kindClusterName is the tests' own kind cluster; a user's are never touched.
	kindClusterName = "kstack-e2e"
	// kindConfig is the configuration users run prod with: three nodes.
	kindConfig = "../../hack/kind/config-prod.yaml"
)

// kindImages are the images of hack/images/build.sh the tests run.
var kindImages = []string{"busybox", "nginx", "mysql", "mariadb", "watcher", "plugin"}

// kindTestCluster is a kind cluster of hack/kind/config-prod.yaml, changed
// only where a test run must differ from a user's cluster: its name, a free
// port for the NodePort on loopback, the tests' data folder and registry
// configuration mounted into every node.
type kindTestCluster struct {
	dir, image string
	provider   *cluster.Provider
	port       int
}

func newKindTestCluster(stateDir string) (*kindTestCluster, error) {
	image := os.Getenv(kindNodeImageEnv)
	if image == "" {
		return nil, errors.New(kindNodeImageEnv + " is not set: run `make test-kind`, or set it to hack/kind/build-node-image.sh's output")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("docker info: %v: %s (hack/kind/docker-up.sh starts Docker)", err, lastLine(string(out)))
	}
	return &kindTestCluster{dir: stateDir, image: image, provider: cluster.NewProvider(cluster.ProviderWithDocker())}, nil
}

func (c *kindTestCluster) kubeconfig() string { return filepath.Join(c.dir, "kubeconfig") }

func (c *kindTestCluster) up(dataDir string) (string, error) {
	if err := c.down(); err != nil {
		return "", fmt.Errorf("clearing an earlier run: %w", err)
	}
	cfg, err := c.config()
	if err != nil {
		return "", err
	}
	// Mounted into the nodes as it is: the database's uid owns it.
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.Chown(dataDir, stack.DatabaseUID, stack.DatabaseUID); err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.registryHostsDir(), 0o755); err != nil {
		return "", err
	}
	err = c.provider.Create(kindClusterName, cluster.CreateWithV1Alpha4Config(cfg), cluster.CreateWithNodeImage(c.image),
		cluster.CreateWithKubeconfigPath(c.kubeconfig()), cluster.CreateWithWaitForReady(5*time.Minute),
		cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false))
	if err != nil {
		return "", fmt.Errorf("kind create cluster %s (image %s): %w", kindClusterName, c.image, err)
	}
	if err := c.loadImages(); err != nil {
		return "", err
	}
	return c.kubeconfig(), nil
}

// config is the users' prod configuration with the tests' changes.
func (c *kindTestCluster) config() (*v1alpha4.Cluster, error) {
	data, err := os.ReadFile(kindConfig)
	if err != nil {
		return nil, err
	}
	var cfg v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", kindConfig, err)
	}
	if c.port, err = freeLoopbackPort(); err != nil {
		return nil, err
	}
	cfg.Name = kindClusterName
	hosts := c.registryHostsDir()
	for i := range cfg.Nodes {
		n := &cfg.Nodes[i]
		n.ExtraMounts = append(n.ExtraMounts,
			v1alpha4.Mount{HostPath: dataRoot, ContainerPath: dataRoot},
			v1alpha4.Mount{HostPath: hosts, ContainerPath: hosts, Readonly: true})
		for j := range n.ExtraPortMappings {
			if n.ExtraPortMappings[j].ContainerPort == stack.WebNodePort {
				n.ExtraPortMappings[j].HostPort = int32(c.port)
			}
		}
	}
	cfg.ContainerdConfigPatches = append(cfg.ContainerdConfigPatches,
		fmt.Sprintf("[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = %q\n", hosts))
	return &cfg, nil
}

// loadImages does what `kind load image-archive` does, on every node.
func (c *kindTestCluster) loadImages() error {
	dir := os.Getenv(localcluster.ImagesDirEnv)
	if dir == "" {
		return errors.New(localcluster.ImagesDirEnv + " is not set: run make test, which builds the images")
	}
	all, err := c.provider.ListNodes(kindClusterName)
	if err != nil {
		return err
	}
	for _, name := range kindImages {
		for _, n := range all {
			if err := loadImage(n, filepath.Join(dir, name+".tar")); err != nil {
				return err
			}
		}
	}
	return nil
}

func loadImage(n nodes.Node, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := nodeutils.LoadImageArchive(n, f); err != nil {
		return fmt.Errorf("loading %s into %s: %w", file, n, err)
	}
	return nil
}

func (c *kindTestCluster) down() error {
	if err := c.provider.Delete(kindClusterName, c.kubeconfig()); err != nil {
		return fmt.Errorf("kind delete cluster %s: %w", kindClusterName, err)
	}
	return nil
}

// restart kills the program as a crash would; systemd (kubelet) or kubelet
// (the API server's static pod) starts it again.
func (c *kindTestCluster) restart(program string) error {
	name, args := "", []string{}
	switch program {
	case "kubelet":
		name, args = c.databaseNode(), []string{"systemctl", "kill", "--signal=SIGKILL", "kubelet"}
	case "kube-apiserver":
		name, args = kindClusterName+"-control-plane", []string{"pkill", "-KILL", "-x", "kube-apiserver"}
	default:
		return fmt.Errorf("restart %s: only kubelet and kube-apiserver", program)
	}
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if err := n.Command(args[0], args[1:]...).Run(); err != nil {
		return fmt.Errorf("%s on %s: %w", strings.Join(args, " "), name, err)
	}
	return nil
}

func (c *kindTestCluster) node(name string) (nodes.Node, error) {
	all, err := c.provider.ListNodes(kindClusterName)
	if err != nil {
		return nil, err
	}
	for _, n := range all {
		if n.String() == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("kind cluster %s has no node %s", kindClusterName, name)
}

func (c *kindTestCluster) webAddr() string { return net.JoinHostPort("127.0.0.1", fmt.Sprint(c.port)) }

// databaseNode asks the API: prod's test moves the label.
func (c *kindTestCluster) databaseNode() string {
	list, err := env.client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: stack.DatabaseNodeLabel + "=true"})
	if err != nil || len(list.Items) != 1 {
		return ""
	}
	return list.Items[0].Name
}

func (c *kindTestCluster) realNode() string { return kindClusterName + "-control-plane" }

// moreNodes are the cluster's workers: all its nodes are real.
func (c *kindTestCluster) moreNodes(_ context.Context, n int) ([]string, error) {
	all, err := c.provider.ListNodes(kindClusterName)
	if err != nil {
		return nil, err
	}
	var workers []string
	for _, node := range all {
		if role, err := node.Role(); err == nil && role == string(v1alpha4.WorkerRole) {
			workers = append(workers, node.String())
		}
	}
	sort.Strings(workers)
	if len(workers) < n {
		return nil, fmt.Errorf("%s has %d workers, the test needs %d", kindConfig, len(workers), n)
	}
	return workers[:n], nil
}

// get runs curl on the node: pod addresses are routed inside Docker's
// network only.
func (c *kindTestCluster) get(node, url string) (int, error) {
	n, err := c.node(node)
	if err != nil {
		return 0, err
	}
	var out bytes.Buffer
	err = n.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url).SetStdout(&out).Run()
	if err != nil {
		return 0, fmt.Errorf("curl %s on %s: %w", url, node, err)
	}
	return strconv.Atoi(strings.TrimSpace(out.String()))
}

func (c *kindTestCluster) registryHostsDir() string { return filepath.Join(c.dir, "registry-hosts") }

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
