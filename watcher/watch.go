package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// scope is which pods a watcher watches: those of one node (or every node),
// in one namespace (or every namespace).
type scope struct {
	node      string
	allNodes  bool
	namespace string
}

// watcher logs the lifecycle of the pods it watches.
type watcher struct {
	client   rest.Interface
	log      *slog.Logger
	scope    scope
	metrics  *metrics
	informer cache.SharedIndexInformer
}

func newWatcher(client rest.Interface, log *slog.Logger, sc scope) *watcher {
	w := &watcher{client: client, log: log, scope: sc}
	w.metrics = newMetrics(func() float64 {
		if w.informer == nil {
			return 0
		}
		return float64(len(w.informer.GetStore().ListKeys()))
	})
	return w
}

func (w *watcher) run(ctx context.Context, synced *atomic.Bool) error {
	informer := cache.NewSharedIndexInformer(podsListWatch(w.client, w.scope), &corev1.Pod{}, 10*time.Minute, cache.Indexers{})
	// The watcher reads a handful of fields; keeping only those keeps the
	// cache small.
	if err := informer.SetTransform(compact); err != nil {
		return err
	}
	// A broken watch (API server restart, expired resource version) makes
	// the informer list again; the list's differences arrive as the usual
	// add and delete events, so nothing that happened meanwhile is lost.
	if err := informer.SetWatchErrorHandler(func(r *cache.Reflector, err error) {
		w.metrics.watchRestarts.Inc()
		cache.DefaultWatchErrorHandler(context.Background(), r, err)
	}); err != nil {
		return err
	}
	w.informer = informer
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.emit("created", obj, nil) },
		UpdateFunc: w.updated,
		DeleteFunc: w.deleted,
	}); err != nil {
		return err
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		informer.RunWithContext(ctx)
	}()
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("pod informer did not sync")
	}
	synced.Store(true)
	// The initial list is the largest allocation the watcher ever makes
	// (2,000 pods on a node: most of its peak). Hand that garbage back to the
	// OS now, not whenever the scavenger gets to it: the resident size is
	// then the steady state's.
	debug.FreeOSMemory()
	<-stopped
	return nil
}

func (w *watcher) updated(oldObj, newObj any) {
	oldPod, ok1 := oldObj.(*podState)
	newPod, ok2 := newObj.(*podState)
	if !ok1 || !ok2 {
		return
	}
	if changes := changes(oldPod, newPod); len(changes) > 0 {
		w.emit("updated", newPod, changes)
	}
}

func (w *watcher) deleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	w.emit("deleted", obj, nil)
}

func (w *watcher) emit(event string, obj any, changes []string) {
	pod, ok := obj.(*podState)
	if !ok {
		return
	}
	attrs := []any{
		"event", event, "namespace", pod.Namespace, "pod", pod.Name, "uid", string(pod.UID),
		"node", pod.node, "phase", pod.phase, "podIP", pod.ip,
	}
	if len(changes) > 0 {
		attrs = append(attrs, "changes", changes)
	}
	w.metrics.events.WithLabelValues(event).Inc()
	w.log.Info("pod "+event, attrs...)
}

// changes lists what a person would want to know about an update; resyncs
// and status heartbeats that change none of it produce no line.
func changes(a, b *podState) []string {
	var out []string
	add := func(what string, from, to any) {
		if from != to {
			out = append(out, fmt.Sprintf("%s: %v -> %v", what, from, to))
		}
	}
	add("phase", a.phase, b.phase)
	add("ready", a.ready, b.ready)
	add("podIP", a.ip, b.ip)
	add("containers", a.containers, b.containers)
	add("restarts", a.restarts, b.restarts)
	add("labels", a.labels, b.labels)
	if !a.deleting && b.deleting {
		out = append(out, "deletion started")
	}
	return out
}
