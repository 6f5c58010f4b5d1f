// Package kind holds the test that keeps hack/'s kind configurations valid.
package kind

import (
	"os"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Both configurations decode strictly into kind's own v1alpha4 types and say
// what the overlays rely on.
func TestKindConfigsDecodeStrictly(t *testing.T) {
	for file, workers := range map[string]int{"config.yaml": 0, "config-prod.yaml": 2} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cfg v1alpha4.Cluster
		if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if cfg.Kind != "Cluster" || cfg.APIVersion != "kind.x-k8s.io/v1alpha4" {
			t.Errorf("%s: %s/%s is not a kind cluster config", file, cfg.APIVersion, cfg.Kind)
		}
		var gotWorkers, dbNodes, nodePorts int
		for _, n := range cfg.Nodes {
			if n.Role == v1alpha4.WorkerRole {
				gotWorkers++
			}
			if n.Labels[stack.DatabaseNodeLabel] == "true" {
				dbNodes++
				// dev's hostPath volume; prod's claim goes to a StorageClass.
				if file == "config.yaml" && !mountsDataDir(n) {
					t.Errorf("%s: the database's node does not mount %s at %[2]s", file, stack.DevDataDir)
				}
			}
			for _, pm := range n.ExtraPortMappings {
				if pm.ContainerPort == stack.WebNodePort {
					nodePorts++
				}
			}
		}
		if gotWorkers != workers || dbNodes != 1 || nodePorts != 1 {
			t.Errorf("%s: %d workers, %d database nodes, %d NodePort mappings; want %d, 1, 1", file, gotWorkers, dbNodes, nodePorts, workers)
		}
	}
}

// prod's web replicas each need a node of their own: the three nodes of the
// prod configuration, the control plane included, so it carries no taint.
func TestKindProdControlPlaneTakesWorkloads(t *testing.T) {
	data, err := os.ReadFile("config-prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Nodes) != stack.WebReplicas {
		t.Fatalf("%d nodes, want one per web replica (%d)", len(cfg.Nodes), stack.WebReplicas)
	}
	cp := cfg.Nodes[0]
	if cp.Role != v1alpha4.ControlPlaneRole || len(cp.KubeadmConfigPatches) != 1 {
		t.Fatalf("the first node is %s with %d kubeadm patches; want the control plane with the taint patch", cp.Role, len(cp.KubeadmConfigPatches))
	}
	var patch struct {
		Kind             string `json:"kind"`
		NodeRegistration struct {
			Taints *[]any `json:"taints"`
		} `json:"nodeRegistration"`
	}
	if err := yaml.Unmarshal([]byte(cp.KubeadmConfigPatches[0]), &patch); err != nil {
		t.Fatal(err)
	}
	if patch.Kind != "InitConfiguration" || patch.NodeRegistration.Taints == nil || len(*patch.NodeRegistration.Taints) != 0 {
		t.Fatalf("control plane patch %q does not clear its taints", cp.KubeadmConfigPatches[0])
	}
}

// mountsDataDir says the node mounts the host's database folder at the
// same path, where the dev overlay's hostPath volume points.
func mountsDataDir(n v1alpha4.Node) bool {
	for _, m := range n.ExtraMounts {
		if m.HostPath == stack.DevDataDir && m.ContainerPath == stack.DevDataDir {
			return true
		}
	}
	return false
}
