package kit

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Store is a versitygw on loopback, started by a benchmark and stopped
// by its PID.
type Store struct {
	cmd            *exec.Cmd
	Addr           string
	access, secret string
}

// StoreBucket is the store's one bucket.
const StoreBucket = "bench"

// StartStore starts a store keeping its data under dir.
func StartStore(dir string) (*Store, error) {
	bin := filepath.Join(os.Getenv("KUBECTL_STACK_BIN_DIR"), "versitygw")
	data := filepath.Join(dir, "s3")
	// posix: a bucket is a folder of the store's root.
	if err := os.MkdirAll(filepath.Join(data, StoreBucket), 0o755); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &Store{Addr: addr, access: key(8), secret: key(20)}
	s.cmd = exec.Command(bin, "--port", addr, "posix", data)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.access, "ROOT_SECRET_KEY="+s.secret)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting versitygw (hack/build-binaries.sh node builds it): %w", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("versitygw does not listen on %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the store.
func (s *Store) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// Env is the plugin's view of the store.
func (s *Store) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.access, "AWS_SECRET_ACCESS_KEY=" + s.secret, "AWS_ENDPOINT_URL=http://" + s.Addr}
}

// MCHost is mc's view: the alias "bench".
func (s *Store) MCHost() string {
	return fmt.Sprintf("MC_HOST_bench=http://%s:%s@%s", s.access, s.secret, s.Addr)
}

func key(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
