// Package registry runs a real image registry (distribution, built by
// hack/build-binaries.sh) for the tests and benchmarks: filesystem storage
// in a folder of theirs, optionally TLS with a CA they make and basic auth
// from an htpasswd file, started and stopped by PID.
package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kubectl-stack/kubectl-stack/testrig/controlplane"
	"github.com/kubectl-stack/kubectl-stack/testrig/pki"
)

// Options describe one registry.
type Options struct {
	// Bin is the registry program.
	Bin string
	// Dir holds its storage, configuration and log.
	Dir string
	// Addr is HOST:PORT to listen on.
	Addr string
	// CA, when set, signs the registry's serving certificate: TLS.
	CA *pki.CA
	// Users, when set, are the only ones let in (basic auth).
	Users map[string]string
}

// Registry is a started registry.
type Registry struct {
	// Host is HOST:PORT, as image references name it.
	Host  string
	opts  Options
	procs *controlplane.Processes
}

// FreeAddr returns host with a port nothing listens on now.
func FreeAddr(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Start writes the configuration and starts the registry, and returns once
// it answers.
func Start(ctx context.Context, o Options) (*Registry, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("the registry program is missing (hack/build-binaries.sh builds it): %w", err)
	}
	cfg, err := writeConfig(o)
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: o.Addr, opts: o, procs: controlplane.NewProcesses(o.Dir, false)}
	if err := r.procs.Run(o.Bin, "serve", cfg); err != nil {
		return nil, err
	}
	if err := r.waitReady(ctx); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// Stop ends the registry (SIGTERM, then SIGKILL) and waits for it.
func (r *Registry) Stop() { r.procs.Stop() }

// Kill ends the registry at once, as a crash would.
func (r *Registry) Kill() error { return r.procs.Kill("registry") }

// Restart starts the registry again on the same address and storage.
func (r *Registry) Restart(ctx context.Context) error {
	r.procs.Stop()
	if err := r.procs.Run(r.opts.Bin, "serve", filepath.Join(r.opts.Dir, "config.yml")); err != nil {
		return err
	}
	return r.waitReady(ctx)
}

// Log is the tail of the registry's log.
func (r *Registry) Log() string { return r.procs.Log("registry", 2000) }

// StorageDir is where the registry keeps blobs and manifests.
func (r *Registry) StorageDir() string { return filepath.Join(r.opts.Dir, "storage") }

// waitReady polls /v2/ until the registry answers anything: 200, or 401
// when it asks for credentials.
func (r *Registry) waitReady(ctx context.Context) error {
	client, url, err := r.client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(url + "/v2/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if exit := r.procs.Exited(); exit != nil {
			return exit
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the registry on %s did not answer in 30s: %v\n%s", r.Host, err, r.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *Registry) client() (*http.Client, string, error) {
	if r.opts.CA == nil {
		return &http.Client{Timeout: 2 * time.Second}, "http://" + r.Host, nil
	}
	pem, err := os.ReadFile(r.opts.CA.CertFile)
	if err != nil {
		return nil, "", err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	return &http.Client{Timeout: 2 * time.Second, Transport: tr}, "https://" + r.Host, nil
}

// writeConfig writes config.yml (and the certificate and htpasswd file it
// names) into o.Dir and returns its path.
func writeConfig(o Options) (string, error) {
	if err := os.MkdirAll(filepath.Join(o.Dir, "storage"), 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %q\n", filepath.Join(o.Dir, "storage"))
	fmt.Fprintf(&b, "http:\n  addr: %q\n", o.Addr)
	if o.CA != nil {
		host, _, err := net.SplitHostPort(o.Addr)
		if err != nil {
			return "", err
		}
		cert, key, err := o.CA.Issue(pki.Request{Name: "registry", CommonName: host, IPs: []net.IP{net.ParseIP(host)}, DNSNames: []string{"localhost"}, Server: true})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  tls:\n    certificate: %q\n    key: %q\n", cert, key)
	}
	if len(o.Users) > 0 {
		file, err := writeHtpasswd(o.Dir, o.Users)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: kubectl-stack-tests\n    path: %q\n", file)
	}
	file := filepath.Join(o.Dir, "config.yml")
	return file, os.WriteFile(file, []byte(b.String()), 0o600)
}

// writeHtpasswd writes USER:BCRYPT lines, the format distribution reads.
func writeHtpasswd(dir string, users map[string]string) (string, error) {
	var b strings.Builder
	for user, password := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s:%s\n", user, hash)
	}
	file := filepath.Join(dir, "htpasswd")
	return file, os.WriteFile(file, []byte(b.String()), 0o600)
}
