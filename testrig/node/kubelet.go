package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// kubeletConfig fits this machine: cgroup v1 with cgroupfs (containerd 1.6),
// no swap requirement, eviction thresholds that a busy CI disk does not trip.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://%[1]s
address: %[2]s
port: 10250
readOnlyPort: 0
tlsCertFile: %[3]s
tlsPrivateKeyFile: %[4]s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %[5]s}
authorization:
  mode: Webhook
clusterDomain: cluster.local
clusterDNS: [%[6]s]
resolvConf: %[7]s
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: "1%%"
  imagefs.available: "1%%"
  nodefs.inodesFree: "1%%"
`

func (n *Node) startKubelet(context.Context) error {
	cert, key, err := n.cp.IssueServing("kubelet", net.ParseIP(n.cfg.IP))
	if err != nil {
		return err
	}
	// Pods with dnsPolicy Default (CoreDNS itself) get this file: no upstream
	// server, so no name lookup ever leaves the machine.
	resolv := n.path("resolv.conf")
	if err := os.WriteFile(resolv, []byte("# no upstream DNS: the local node stays on this machine\n"), 0o644); err != nil {
		return err
	}
	cfg := fmt.Sprintf(kubeletConfig, n.Socket(), n.cfg.IP, cert, key, n.cp.CAFile, DNSServiceIP, resolv)
	file := n.path("kubelet", "config.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		return err
	}
	kubeconfig, err := n.cp.WriteKubeconfig("kubelet", "system:node:"+n.cfg.Name)
	if err != nil {
		return err
	}
	return n.procs.Run(filepath.Join(n.cfg.BinDir, "kubelet"),
		"--config", file, "--kubeconfig", kubeconfig,
		"--hostname-override", n.cfg.Name, "--node-ip", n.cfg.IP,
		"--root-dir", n.path("kubelet"), "--cert-dir", n.path("pki"))
}

func (n *Node) startKubeProxy(context.Context) error {
	kubeconfig, err := n.cp.WriteKubeconfig("kube-proxy", "system:kube-proxy")
	if err != nil {
		return err
	}
	return n.procs.Run(filepath.Join(n.cfg.BinDir, "kube-proxy"),
		"--kubeconfig", kubeconfig, "--hostname-override", n.cfg.Name,
		"--proxy-mode", "iptables", "--cluster-cidr", ClusterCIDR,
		// NodePorts answer on the node's own address only.
		"--nodeport-addresses", n.cfg.IP+"/32",
		// This machine's conntrack table size is not ours to change.
		"--conntrack-max-per-core", "0",
		"--metrics-bind-address", "127.0.0.1:10249", "--healthz-bind-address", "127.0.0.1:10256")
}

// startKubeRouter runs kube-router as a NetworkPolicy agent only: routing,
// service proxy and CNI stay with the bridge and kube-proxy.
func (n *Node) startKubeRouter(context.Context) error {
	kubeconfig, err := n.cp.WriteKubeconfig("kube-router", "kube-router")
	if err != nil {
		return err
	}
	return n.procs.Run(filepath.Join(n.cfg.BinDir, "kube-router"),
		"--kubeconfig", kubeconfig, "--hostname-override", n.cfg.Name,
		"--run-firewall=true", "--run-router=false", "--run-service-proxy=false", "--enable-cni=false",
		"--metrics-port", "0", "--health-port", "0")
}
