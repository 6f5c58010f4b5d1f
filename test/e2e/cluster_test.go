//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
)

// clusterEnv picks the cluster the same tests run on: "local" (hack/'s
// local node, the default) or "kind" (a kind cluster of three real nodes
// from hack/kind/config-prod.yaml).
const clusterEnv = "KUBECTL_STACK_E2E_CLUSTER"

// testCluster is what the tests need of a cluster beyond its API.
type testCluster interface {
	// up starts the cluster with the database's hostPath folder dataDir
	// and the images loaded; it returns the admin kubeconfig's path.
	up(dataDir string) (string, error)
	down() error
	// restart kills kubelet (of the database's node) or kube-apiserver and
	// lets it come back.
	restart(program string) error
	// webAddr is where the web tier's NodePort answers from this machine.
	webAddr() string
	// databaseNode is the node labelled for the database.
	databaseNode() string
	// moreNodes gives n nodes besides the first, for prod's placement.
	moreNodes(ctx context.Context, n int) ([]string, error)
	// realNode is a node whose pods really run (its watcher's log is read).
	realNode() string
	// get asks url from node (its address, as the node's own traffic) and
	// returns the HTTP status.
	get(node, url string) (int, error)
	// registryHostsDir is the folder of registries' hosts.toml files the
	// nodes' containerd reads, the same path on this machine and the nodes.
	registryHostsDir() string
}

func newTestCluster(stateDir string) (testCluster, error) {
	switch c := os.Getenv(clusterEnv); c {
	case "", "local":
		return &localTestCluster{dir: stateDir}, nil
	case "kind":
		return newKindTestCluster(stateDir)
	default:
		return nil, fmt.Errorf("%s=%q: want local or kind", clusterEnv, c)
	}
}

// localTestCluster is hack/'s local node (testrig/localcluster).
type localTestCluster struct{ dir string }

func (c *localTestCluster) up(dataDir string) (string, error) {
	// The user's local cluster is never touched: with it up, the tests
	// refuse to start (the machine has room for one).
	if running := localcluster.Running(localcluster.StateDir()); len(running) > 0 {
		return "", fmt.Errorf("a local cluster runs from %s (%s): stop it with `make demo-down` first; the tests never touch it",
			localcluster.StateDir(), strings.Join(running, ", "))
	}
	return localcluster.Up(c.dir, dataDir)
}

func (c *localTestCluster) down() error { return localcluster.Down(c.dir) }

func (c *localTestCluster) restart(program string) error { return localcluster.Restart(c.dir, program) }

func (c *localTestCluster) webAddr() string {
	return net.JoinHostPort(env.nodeIP, strconv.Itoa(stack.WebNodePort))
}

func (c *localTestCluster) databaseNode() string { return localcluster.NodeName }

func (c *localTestCluster) realNode() string { return localcluster.NodeName }

// moreNodes adds kwok-simulated nodes: the machine has room for one real one.
func (c *localTestCluster) moreNodes(ctx context.Context, n int) ([]string, error) {
	return localcluster.AddSimulatedNodes(ctx, c.dir, n)
}

// get asks from this machine, which is the node.
func (c *localTestCluster) get(_, url string) (int, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (c *localTestCluster) registryHostsDir() string { return localcluster.RegistryHostsDir(c.dir) }
