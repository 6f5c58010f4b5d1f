package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are what /metrics reports.
type metrics struct {
	registry      *prometheus.Registry
	events        *prometheus.CounterVec
	watchRestarts prometheus.Counter
}

// newMetrics registers the watcher's metrics; tracked reports how many pods
// the informer's cache holds when scraped.
func newMetrics(tracked func() float64) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watcher_events_total", Help: "Pod events logged, by type (created, updated, deleted).",
		}, []string{"type"}),
		watchRestarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "watcher_watch_restarts_total", Help: "Times the pod watch broke and was re-established.",
		}),
	}
	m.registry.MustRegister(m.events, m.watchRestarts,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "watcher_pods_tracked", Help: "Pods in the informer's cache."}, tracked),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
