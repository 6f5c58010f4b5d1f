// Package controlplane runs a real etcd and kube-apiserver on loopback for
// tests, from the binaries hack/build-binaries.sh builds. It stops only the
// processes it started, by PID.
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
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// BinDirEnv names the folder holding etcd and kube-apiserver.
const BinDirEnv = "KUBECTL_STACK_BIN_DIR"

// AdminUser is the user of the kubeconfig the control plane writes; it is in
// system:masters. Tests impersonate others to check RBAC.
const AdminUser = "stack-admin"

// ControlPlane is a running etcd and kube-apiserver.
type ControlPlane struct {
	// Kubeconfig is the path of an admin kubeconfig for the API server.
	Kubeconfig string
	// Server is the API server's URL.
	Server string
	dir    string
	procs  []*proc
	token  string
	detach bool
}

// PIDs returns the processes' IDs, oldest first.
func (cp *ControlPlane) PIDs() []int {
	var pids []int
	for _, p := range cp.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// proc is a started process and a channel closed when it exits.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// BinDir returns the binaries' folder from the environment, or an error that
// says how to get them.
func BinDir() (string, error) {
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: run `make test`, or `export %s=$(hack/build-binaries.sh)`", BinDirEnv, BinDirEnv)
	}
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s/%s is missing: run hack/build-binaries.sh", dir, b)
		}
	}
	return dir, nil
}

// Options tune Start.
type Options struct {
	// Detach starts the processes in their own session so they outlive the
	// program that started them (hack/localcluster); PIDs says which they are.
	Detach bool
}

// Start runs etcd and kube-apiserver with their state under dir and waits
// until the API server is ready. Logs go to dir/*.log.
func Start(ctx context.Context, binDir, dir string, opts ...Options) (*ControlPlane, error) {
	cp := &ControlPlane{dir: dir}
	for _, o := range opts {
		cp.detach = cp.detach || o.Detach
	}
	if err := cp.start(ctx, binDir); err != nil {
		cp.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) start(ctx context.Context, binDir string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := cp.run(binDir, "etcd",
		"--data-dir", filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--initial-advertise-peer-urls", "http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--initial-cluster", "default=http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--unsafe-no-fsync", "--log-level", "warn"); err != nil {
		return err
	}
	files, err := cp.writeAuthFiles()
	if err != nil {
		return err
	}
	cp.Server = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := cp.run(binDir, "kube-apiserver",
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(ports[2]),
		"--cert-dir", filepath.Join(cp.dir, "certs"),
		"--token-auth-file", files.tokens,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", files.saKey,
		"--service-account-signing-key-file", files.saKey,
		"--service-cluster-ip-range", "10.96.0.0/16",
		// The kubernetes Service cannot point at a loopback address; no pod
		// here needs it.
		"--endpoint-reconciler-type", "none",
		"--disable-admission-plugins", "ServiceAccount"); err != nil {
		return err
	}
	if err := cp.writeKubeconfig(); err != nil {
		return err
	}
	return cp.waitReady(ctx)
}

func (cp *ControlPlane) run(binDir, name string, args ...string) error {
	log, err := os.Create(filepath.Join(cp.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdout, cmd.Stderr = log, log
	if cp.detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	cp.procs = append(cp.procs, p)
	return nil
}

type authFiles struct{ tokens, saKey string }

func (cp *ControlPlane) writeAuthFiles() (authFiles, error) {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return authFiles{}, err
	}
	cp.token = hex.EncodeToString(buf)
	f := authFiles{tokens: filepath.Join(cp.dir, "tokens.csv"), saKey: filepath.Join(cp.dir, "sa.key")}
	line := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", cp.token, AdminUser, AdminUser)
	if err := os.WriteFile(f.tokens, []byte(line), 0o600); err != nil {
		return authFiles{}, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return authFiles{}, err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return f, os.WriteFile(f.saKey, pemKey, 0o600)
}

// writeKubeconfig skips TLS verification: the API server made its own
// self-signed certificate for 127.0.0.1 in this run's folder.
func (cp *ControlPlane) writeKubeconfig() error {
	cp.Kubeconfig = filepath.Join(cp.dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: %s
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: %s}
current-context: test
`, cp.Server, AdminUser, cp.token, AdminUser)
	return os.WriteFile(cp.Kubeconfig, []byte(cfg), 0o600)
}

func (cp *ControlPlane) waitReady(ctx context.Context) error {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback, self-signed
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cp.Server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+cp.token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		for _, p := range cp.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited early: %s", p.name, cp.Log(p.name, 600))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("kube-apiserver not ready after 90s; see %s/kube-apiserver.log", cp.dir)
}

// Stop kills the processes Start started, newest first, and waits for them.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		p := cp.procs[i]
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	cp.procs = nil
}

// Log returns the tail of a component's log, for failure reports.
func (cp *ControlPlane) Log(name string, maxBytes int) string {
	data, err := os.ReadFile(filepath.Join(cp.dir, name+".log"))
	if err != nil {
		return err.Error()
	}
	if len(data) > maxBytes {
		data = data[len(data)-maxBytes:]
	}
	return string(data)
}

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
