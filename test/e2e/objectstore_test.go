//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// objectStore is a real S3 server, versitygw, built by hack/ and started by
// the test on the node's own address (pods can reach it), stopped by PID.
// It outlives the step that starts it: later steps use it, and the run's
// teardown stops it and removes its folder.
type objectStore struct {
	bin, dir, addr string
	access, secret string
	cmd            *exec.Cmd
	log            *os.File
	client         *minio.Client
}

const bucket = "e2e-backups"

func startObjectStore(t *testing.T) *objectStore {
	t.Helper()
	bin := filepath.Join(env.binDir, "versitygw")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("versitygw is missing (%v): hack/build-binaries.sh node builds it", err)
	}
	dir, err := os.MkdirTemp("", "kubectl-stack-e2e-s3-")
	if err != nil {
		t.Fatal(err)
	}
	s := &objectStore{bin: bin, dir: dir, access: randomKey(8), secret: randomKey(20)}
	s.addr = net.JoinHostPort(env.nodeIP, strconv.Itoa(freePort(t)))
	if s.log, err = os.Create(filepath.Join(env.stateDir, "versitygw.log")); err != nil {
		t.Fatal(err)
	}
	s.start(t)
	s.client, err = minio.New(s.addr, &minio.Options{Creds: credentials.NewStaticV4(s.access, s.secret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.client.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	return s
}

func (s *objectStore) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "--port", s.addr, "posix", s.dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.access, "ROOT_SECRET_KEY="+s.secret)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	waitFor(t, "versitygw to listen on "+s.addr, func() bool {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// kill stops the store by its PID, at once, as a crash would.
func (s *objectStore) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// remove stops the store and removes its data.
func (s *objectStore) remove() error {
	s.kill()
	s.log.Close()
	return os.RemoveAll(s.dir)
}

// env is what the plugin needs to reach the store.
func (s *objectStore) env(endpoint string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.access, "AWS_SECRET_ACCESS_KEY=" + s.secret, "AWS_ENDPOINT_URL=" + endpoint}
}

func (s *objectStore) endpoint() string { return "http://" + s.addr }

func (s *objectStore) unfinishedUploads(t *testing.T) int {
	t.Helper()
	n := 0
	for up := range s.client.ListIncompleteUploads(context.Background(), bucket, "", true) {
		if up.Err != nil {
			t.Fatalf("listing unfinished uploads: %v", up.Err)
		}
		n++
	}
	return n
}

// dyingProxy forwards connections to the store and kills the store once
// more than n bytes went to it: the store dies in the middle of an upload.
func (s *objectStore) dyingProxy(t *testing.T, n int64) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var sent atomic.Int64
	var once sync.Once
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer client.Close()
				server, err := net.Dial("tcp", s.addr)
				if err != nil {
					return
				}
				defer server.Close()
				go func() { _, _ = io.Copy(client, server) }()
				buf := make([]byte, 32<<10)
				for {
					k, err := client.Read(buf)
					if sent.Add(int64(k)) > n {
						once.Do(s.kill)
						return
					}
					if _, werr := server.Write(buf[:k]); werr != nil || err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort is a port on the node's address nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(env.nodeIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tamper flips a byte in the middle of an object, as damage or a person
// with write access to the bucket would.
func (s *objectStore) tamper(t *testing.T, key string) {
	t.Helper()
	ctx := context.Background()
	obj, err := s.client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	data[len(data)/2] ^= 0x20
	s.put(t, key, data)
}

func (s *objectStore) put(t *testing.T, key string, data []byte) {
	t.Helper()
	if _, err := s.client.PutObject(context.Background(), bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("writing %s: %v", key, err)
	}
}

func (s *objectStore) get(t *testing.T, key string) []byte {
	t.Helper()
	obj, err := s.client.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return data
}
