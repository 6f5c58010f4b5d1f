package main

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

// store is a versitygw on loopback, started by the benchmark and stopped
// by its PID.
type store struct {
	cmd            *exec.Cmd
	addr           string
	access, secret string
}

const storeBucket = "bench"

func startStore(dir string) (*store, error) {
	bin := filepath.Join(os.Getenv("KUBECTL_STACK_BIN_DIR"), "versitygw")
	data := filepath.Join(dir, "s3")
	// posix: a bucket is a folder of the store's root.
	if err := os.MkdirAll(filepath.Join(data, storeBucket), 0o755); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &store{addr: addr, access: key(8), secret: key(20)}
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
			s.stop()
			return nil, fmt.Errorf("versitygw does not listen on %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *store) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// env is the plugin's view of the store.
func (s *store) env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.access, "AWS_SECRET_ACCESS_KEY=" + s.secret, "AWS_ENDPOINT_URL=http://" + s.addr}
}

// mcHost is mc's: the alias "bench".
func (s *store) mcHost() string {
	return fmt.Sprintf("MC_HOST_bench=http://%s:%s@%s", s.access, s.secret, s.addr)
}

func key(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
