// Package controlplane runs a real etcd and kube-apiserver (and, for a real
// node, kube-controller-manager and kube-scheduler) from the binaries
// hack/build-binaries.sh builds. It stops only the processes it started, by
// PID.
package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/testrig/pki"
)

// BinDirEnv names the folder holding the binaries.
const BinDirEnv = "KUBECTL_STACK_BIN_DIR"

// AdminUser is the user of the admin kubeconfig; it is in system:masters.
// Tests impersonate others to check RBAC.
const AdminUser = "stack-admin"

// ServiceCIDR is the cluster's Service range; KubernetesServiceIP is the
// first address in it, where pods reach the API server.
const (
	ServiceCIDR         = "10.96.0.0/16"
	KubernetesServiceIP = "10.96.0.1"
)

// Options tune Start.
type Options struct {
	// Detach starts the processes in their own session so they outlive the
	// program that started them (hack/local/cluster); PIDs says which they are.
	Detach bool
	// NodeIP and NodeName, when set, make a control plane for a real node:
	// the API server listens on and advertises NodeIP with a certificate
	// pods can verify, authorizes the kubelet of NodeName, and
	// kube-controller-manager and kube-scheduler run beside it.
	NodeIP   string
	NodeName string
}

// ControlPlane is a running control plane.
type ControlPlane struct {
	// Kubeconfig is the path of an admin kubeconfig for the API server.
	Kubeconfig string
	// Server is the API server's URL.
	Server string
	// CAFile is the CA that signed the API server's certificate (full mode).
	CAFile string
	// ServiceAccountKey signs service account tokens.
	ServiceAccountKey string
	dir               string
	procs             *Processes
	opts              Options
	tokens            map[string]string
	ca                *pki.CA
	// apiserver is how the first API server was started, for restarts.
	apiserver struct {
		path, etcdURL, address string
		args                   []string
	}
}

// BinDir returns the binaries' folder from the environment, or an error that
// says how to get them.
func BinDir(names ...string) (string, error) {
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: run `make test`, or `export %s=$(hack/build-binaries.sh)`", BinDirEnv, BinDirEnv)
	}
	for _, b := range append([]string{"etcd", "kube-apiserver"}, names...) {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s/%s is missing: run hack/build-binaries.sh node", dir, b)
		}
	}
	return dir, nil
}

// Start runs the control plane with its state under dir and waits until the
// API server is ready. Logs go to dir/*.log.
func Start(ctx context.Context, binDir, dir string, opts ...Options) (*ControlPlane, error) {
	cp := &ControlPlane{dir: dir, tokens: map[string]string{}}
	for _, o := range opts {
		cp.opts = o
	}
	cp.procs = NewProcesses(dir, cp.opts.Detach)
	if err := cp.start(ctx, binDir); err != nil {
		cp.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) full() bool { return cp.opts.NodeIP != "" }

func (cp *ControlPlane) start(ctx context.Context, binDir string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := cp.procs.Run(filepath.Join(binDir, "etcd"),
		"--data-dir", filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync", "--log-level", "warn"); err != nil {
		return err
	}
	if err := cp.writeAuth(); err != nil {
		return err
	}
	address := "127.0.0.1"
	if cp.full() {
		address = cp.opts.NodeIP
	}
	cp.Server = "https://" + net.JoinHostPort(address, strconv.Itoa(ports[2]))
	args, err := cp.apiserverArgs(etcdURL, address, ports[2])
	if err != nil {
		return err
	}
	cp.apiserver.path, cp.apiserver.etcdURL, cp.apiserver.address, cp.apiserver.args =
		filepath.Join(binDir, "kube-apiserver"), etcdURL, address, args
	if err := cp.procs.Run(cp.apiserver.path, args...); err != nil {
		return err
	}
	if cp.Kubeconfig, err = cp.WriteKubeconfig("admin", AdminUser); err != nil {
		return err
	}
	if err := cp.waitReady(ctx); err != nil {
		return err
	}
	if cp.full() {
		return cp.startControllers(binDir)
	}
	return nil
}

func (cp *ControlPlane) apiserverArgs(etcdURL, address string, port int) ([]string, error) {
	args := []string{
		"--etcd-servers", etcdURL,
		"--bind-address", address, "--advertise-address", address,
		"--secure-port", strconv.Itoa(port),
		"--token-auth-file", filepath.Join(cp.dir, "tokens.csv"),
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", cp.ServiceAccountKey,
		"--service-account-signing-key-file", cp.ServiceAccountKey,
		"--service-cluster-ip-range", ServiceCIDR,
	}
	if !cp.full() {
		return append(args,
			"--cert-dir", filepath.Join(cp.dir, "certs"),
			"--authorization-mode", "RBAC",
			// The kubernetes Service cannot point at a loopback address; no
			// pod runs here to need it.
			"--endpoint-reconciler-type", "none",
			"--disable-admission-plugins", "ServiceAccount"), nil
	}
	serving, kubeletClient, err := cp.issueCerts(address)
	if err != nil {
		return nil, err
	}
	return append(args,
		"--tls-cert-file", serving[0], "--tls-private-key-file", serving[1],
		"--client-ca-file", cp.CAFile,
		"--kubelet-client-certificate", kubeletClient[0], "--kubelet-client-key", kubeletClient[1],
		// The node's name is not in any DNS here; its address is.
		"--kubelet-preferred-address-types", "InternalIP",
		"--authorization-mode", "Node,RBAC",
		"--allow-privileged=false"), nil
}

func (cp *ControlPlane) issueCerts(address string) (serving, kubeletClient [2]string, err error) {
	certDir := filepath.Join(cp.dir, "pki")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return serving, kubeletClient, err
	}
	if cp.ca, err = pki.NewCA(certDir); err != nil {
		return serving, kubeletClient, err
	}
	cp.CAFile = cp.ca.CertFile
	serving[0], serving[1], err = cp.ca.Issue(pki.Request{
		Name: "apiserver", CommonName: "kube-apiserver", Server: true,
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:      []net.IP{net.ParseIP(address), net.ParseIP("127.0.0.1"), net.ParseIP(KubernetesServiceIP)},
	})
	if err != nil {
		return serving, kubeletClient, err
	}
	kubeletClient[0], kubeletClient[1], err = cp.ca.Issue(pki.Request{
		Name: "apiserver-kubelet-client", CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"},
	})
	return serving, kubeletClient, err
}

// RestartAPIServer kills the API server, as a crash would, runs during while
// it is down, and starts it again on the same address.
func (cp *ControlPlane) RestartAPIServer(ctx context.Context, during func() error) error {
	if err := cp.procs.Kill("kube-apiserver"); err != nil {
		return err
	}
	if err := during(); err != nil {
		return err
	}
	if err := cp.procs.Run(cp.apiserver.path, cp.apiserver.args...); err != nil {
		return err
	}
	return cp.waitReady(ctx)
}

// StartSecondAPIServer runs another API server on the same etcd, as an HA
// control plane has, and returns an admin kubeconfig for it: clients of the
// first one can then be cut off while the cluster goes on changing.
func (cp *ControlPlane) StartSecondAPIServer(ctx context.Context) (string, error) {
	ports, err := freePorts(1)
	if err != nil {
		return "", err
	}
	args, err := cp.apiserverArgs(cp.apiserver.etcdURL, cp.apiserver.address, ports[0])
	if err != nil {
		return "", err
	}
	if err := cp.procs.RunNamed("kube-apiserver-2", cp.apiserver.path, args...); err != nil {
		return "", err
	}
	server := "https://" + net.JoinHostPort(cp.apiserver.address, strconv.Itoa(ports[0]))
	if err := cp.waitServer(ctx, server); err != nil {
		return "", err
	}
	return cp.writeKubeconfig("admin-2", AdminUser, server)
}

// IssueServing signs a serving certificate for a node component.
func (cp *ControlPlane) IssueServing(name string, ips ...net.IP) (cert, key string, err error) {
	return cp.ca.Issue(pki.Request{Name: name, CommonName: name, Server: true, IPs: ips})
}

func (cp *ControlPlane) startControllers(binDir string) error {
	cm, err := cp.WriteKubeconfig("controller-manager", "system:kube-controller-manager")
	if err != nil {
		return err
	}
	sched, err := cp.WriteKubeconfig("scheduler", "system:kube-scheduler")
	if err != nil {
		return err
	}
	if err := cp.procs.Run(filepath.Join(binDir, "kube-controller-manager"),
		"--kubeconfig", cm, "--authentication-kubeconfig", cm, "--authorization-kubeconfig", cm,
		"--service-account-private-key-file", cp.ServiceAccountKey,
		"--root-ca-file", cp.CAFile,
		"--use-service-account-credentials",
		"--service-cluster-ip-range", ServiceCIDR,
		"--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", "0"); err != nil {
		return err
	}
	return cp.procs.Run(filepath.Join(binDir, "kube-scheduler"),
		"--kubeconfig", sched, "--authentication-kubeconfig", sched, "--authorization-kubeconfig", sched,
		"--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", "0")
}

// users of the token file: name -> groups.
func (cp *ControlPlane) users() map[string]string {
	users := map[string]string{AdminUser: "system:masters"}
	if cp.full() {
		users["system:kube-controller-manager"] = ""
		users["system:kube-scheduler"] = ""
		users["system:kube-proxy"] = ""
		users["system:node:"+cp.opts.NodeName] = "system:nodes"
		// The NetworkPolicy agent of the test node reads pods, namespaces,
		// policies and nodes; as test infrastructure it runs as an admin.
		users["kube-router"] = "system:masters"
	}
	return users
}

func (cp *ControlPlane) writeAuth() error {
	var lines []string
	for user, groups := range cp.users() {
		buf := make([]byte, 16)
		if _, err := rand.Read(buf); err != nil {
			return err
		}
		cp.tokens[user] = hex.EncodeToString(buf)
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", cp.tokens[user], user, user, groups))
	}
	if err := os.WriteFile(filepath.Join(cp.dir, "tokens.csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	cp.ServiceAccountKey = filepath.Join(cp.dir, "sa.key")
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return os.WriteFile(cp.ServiceAccountKey, pemKey, 0o600)
}

// WriteKubeconfig writes a kubeconfig for one of the token file's users. In
// the API-server-only mode the server's certificate is self-signed by the
// API server itself, so the kubeconfig skips its verification.
func (cp *ControlPlane) WriteKubeconfig(file, user string) (string, error) {
	return cp.writeKubeconfig(file, user, cp.Server)
}

func (cp *ControlPlane) writeKubeconfig(file, user, server string) (string, error) {
	trust := "insecure-skip-tls-verify: true"
	if cp.full() {
		trust = "certificate-authority: " + cp.CAFile
	}
	path := filepath.Join(cp.dir, "kubeconfig")
	if file != "admin" {
		path += "-" + file
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: %s
    %s
users:
- name: %q
  user:
    token: %s
contexts:
- name: local
  context: {cluster: local, user: %q}
current-context: local
`, server, trust, user, cp.tokens[user], user)
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

func (cp *ControlPlane) waitReady(ctx context.Context) error {
	return cp.waitServer(ctx, cp.Server)
}

func (cp *ControlPlane) waitServer(ctx context.Context, server string) error {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // readiness poll of our own server
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+cp.tokens[AdminUser])
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := cp.procs.Exited(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("kube-apiserver not ready after 90s: %s", cp.Log("kube-apiserver", 600))
}

// Processes returns the control plane's processes, for callers that start
// more (a node) and want one record of everything to stop.
func (cp *ControlPlane) Processes() *Processes { return cp.procs }

// PIDs returns the processes' IDs, oldest first.
func (cp *ControlPlane) PIDs() []int { return cp.procs.PIDs() }

// Stop kills the processes Start started, newest first, and waits for them.
func (cp *ControlPlane) Stop() { cp.procs.Stop() }

// Log returns the tail of a component's log, for failure reports.
func (cp *ControlPlane) Log(name string, maxBytes int) string { return cp.procs.Log(name, maxBytes) }

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
