// Command watcher is the stack's pod-lifecycle watcher. Each DaemonSet pod
// watches the pods of its own node (spec.nodeName=$NODE_NAME) through a
// shared informer and writes one JSON line per create, meaningful update and
// delete to standard output, where `kubectl stack events` reads it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig for out-of-cluster use (default: in-cluster)")
	allNodes := flag.Bool("all-nodes", false, "watch the pods of every node, not only $NODE_NAME's")
	namespace := flag.String("namespace", os.Getenv("POD_NAMESPACE"), "watch the pods of this namespace only (default $POD_NAMESPACE; empty: every namespace, which needs a ClusterRole)")
	listen := flag.String("listen", ":9090", "address of /healthz, /readyz and /metrics")
	memoryLimit := flag.String("memory-limit", "32Mi", "soft memory limit of Go's garbage collector (GOMEMLIMIT, when set, wins)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Printf("watcher %s (commit %s)\n", version.Version, version.Commit)
		return
	}
	if err := setMemoryLimit(*memoryLimit); err != nil {
		fmt.Fprintln(os.Stderr, "watcher:", err)
		os.Exit(2)
	}
	if err := run(*kubeconfig, scope{node: os.Getenv("NODE_NAME"), allNodes: *allNodes, namespace: *namespace}, *listen); err != nil {
		fmt.Fprintln(os.Stderr, "watcher:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, sc scope, listen string) error {
	if sc.node == "" && !sc.allNodes {
		return errors.New("NODE_NAME is not set: set it from the downward API (spec.nodeName), or pass --all-nodes")
	}
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return err
	}
	client, err := podsClient(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	var synced atomic.Bool
	w := newWatcher(client, log, sc)
	srv := &http.Server{Addr: listen, Handler: handler(&synced, w.metrics), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server", "err", err)
		}
	}()
	err = w.run(ctx, &synced)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	return err
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return rest.InClusterConfig()
}

func handler(synced *atomic.Bool, m *metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !synced.Load() {
			http.Error(w, "informer not synced", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// setMemoryLimit makes the garbage collector hand memory back before the
// heap grows past limit: after the first list of a busy node the heap is
// mostly garbage, and without a limit the process keeps it.
func setMemoryLimit(limit string) error {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	q, err := resource.ParseQuantity(limit)
	if err != nil {
		return fmt.Errorf("--memory-limit %q: %w", limit, err)
	}
	debug.SetMemoryLimit(q.Value())
	return nil
}
