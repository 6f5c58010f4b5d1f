package binlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Config is the archiver as components/binlog-archive runs it.
type Config struct {
	Location location.Location
	// Servers are the database, or the HA tier's members in the order the
	// archiver prefers them.
	Servers []Server
	// Interval is how often what was received is stored: the recovery point.
	Interval time.Duration
	// MetricsAddress serves /metrics and /healthz; empty for none.
	MetricsAddress string
	// StatusMap is the ConfigMap the status is read from at the start and
	// written to (ConfigMaps holds it); empty for none.
	StatusMap  string
	ConfigMaps corev1client.ConfigMapInterface
	Log        io.Writer
}

// Run archives until ctx ends, resuming from the status it reported before
// it last stopped, serving its metrics and publishing its status meanwhile.
// An end by ctx is no error.
func Run(ctx context.Context, c Config) error {
	var earlier *Status
	if c.StatusMap != "" {
		cm, err := c.ConfigMaps.Get(ctx, c.StatusMap, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading ConfigMap %s: %w", c.StatusMap, err)
		}
		if earlier, err = ReadStatus(cm.Data); err != nil {
			return err
		}
	}
	progress := NewProgress(earlier)
	if c.MetricsAddress != "" {
		if err := serveMetrics(ctx, c.MetricsAddress, progress); err != nil {
			return err
		}
	}
	if c.StatusMap != "" {
		p := &Publisher{Progress: progress, Location: c.Location, Name: c.StatusMap, Log: c.Log, ConfigMaps: c.ConfigMaps}
		go p.Run(ctx)
	}
	a := &Archiver{Location: c.Location, Servers: c.Servers, Interval: c.Interval, Log: c.Log, Progress: progress}
	if err := a.Run(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// serveMetrics serves the progress's gauges at address/metrics, and
// /healthz for the liveness probe, until ctx ends.
func serveMetrics(ctx context.Context, address string, p *Progress) error {
	reg := prometheus.NewRegistry()
	if err := p.Register(reg); err != nil {
		return err
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return fmt.Errorf("serving metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return nil
}
