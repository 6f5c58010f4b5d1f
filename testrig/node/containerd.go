package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// containerdConfig is containerd 1.6's CRI configuration for the node.
// restrict_oom_score_adj: this machine's bounding set lacks CAP_SYS_RESOURCE,
// so runc cannot write a negative oom_score_adj and every sandbox failed.
const containerdConfig = `version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "kubectl-stack/pause:local"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[4]q
    conf_dir = %[5]q
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %[6]q
`

// RegistryHostsDir is where the node's containerd reads a registry's
// hosts.toml (HOST:PORT/hosts.toml: its address, its CA): the image tests
// make a registry of their own trusted there.
func RegistryHostsDir(nodeDir string) string { return filepath.Join(nodeDir, "containerd", "certs.d") }

// Socket is containerd's socket for this node.
func (n *Node) Socket() string { return n.path("containerd", "containerd.sock") }

func (n *Node) startContainerd(ctx context.Context) error {
	hosts := RegistryHostsDir(n.cfg.Dir)
	if err := os.MkdirAll(hosts, 0o755); err != nil {
		return err
	}
	cfg := fmt.Sprintf(containerdConfig, n.path("containerd", "root"), n.path("containerd", "state"),
		n.Socket(), filepath.Join(n.cfg.BinDir, "cni"), n.path("cni", "net.d"), hosts)
	file := n.path("containerd", "config.toml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		return err
	}
	cni := fmt.Sprintf(cniConfig, n.path("cni", "ipam"))
	if err := os.WriteFile(n.path("cni", "net.d", "10-kstack.conflist"), []byte(cni), 0o644); err != nil {
		return err
	}
	containerd, err := exec.LookPath("containerd")
	if err != nil {
		return fmt.Errorf("containerd is not installed (apt-get install containerd runc)")
	}
	if err := n.procs.Run(containerd, "--config", file); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := exec.CommandContext(ctx, "ctr", "--address", n.Socket(), "version").Run(); err == nil {
			return nil
		}
		if err := n.procs.Exited(); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("containerd did not answer on %s: %s", n.Socket(), n.procs.Log("containerd", 1000))
}

// importImages loads every image tarball into the namespace kubelet uses.
func (n *Node) importImages(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(n.cfg.ImagesDir, "*.tar"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no image tarballs in %s: run hack/images/build.sh", n.cfg.ImagesDir)
	}
	for _, f := range files {
		out, err := exec.CommandContext(ctx, "ctr", "--address", n.Socket(), "-n", "k8s.io", "images", "import", f).CombinedOutput()
		if err != nil {
			return fmt.Errorf("importing %s: %v: %s", f, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// cniConfig puts pods on a bridge with addresses from PodCIDR, recorded in
// the node's own folder. No masquerade:
// pods have no business outside this machine (guardEgress drops it).
const cniConfig = `{
  "cniVersion": "1.0.0",
  "name": "kstack",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "` + Bridge + `",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": %q,
        "ranges": [[{"subnet": "` + PodCIDR + `"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`
