package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
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
	client   kubernetes.Interface
	log      *slog.Logger
	scope    scope
	metrics  *metrics
	informer cache.SharedIndexInformer
}

func newWatcher(client kubernetes.Interface, log *slog.Logger, sc scope) *watcher {
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
	// One namespace (the stack's, by default): a Role then suffices, and
	// a stack never sees another's pods.
	opts := []informers.SharedInformerOption{informers.WithNamespace(w.scope.namespace)}
	if !w.scope.allNodes {
		// O(pods on this node) work per DaemonSet pod, not O(pods in the cluster).
		sel := fields.OneTermEqualSelector("spec.nodeName", w.scope.node).String()
		opts = append(opts, informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = sel }))
	}
	// The watcher reads a handful of fields; dropping the bulk keeps the
	// cache small.
	opts = append(opts, informers.WithTransform(trim))
	factory := informers.NewSharedInformerFactoryWithOptions(w.client, 10*time.Minute, opts...)
	informer := factory.Core().V1().Pods().Informer()
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
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("pod informer did not sync")
	}
	synced.Store(true)
	// The initial list is the largest allocation the watcher ever makes
	// (2,000 pods on a node: most of its peak). Hand that garbage back to the
	// OS now, not whenever the scavenger gets to it: the resident size is
	// then the steady state's.
	debug.FreeOSMemory()
	<-ctx.Done()
	factory.Shutdown()
	return nil
}

func (w *watcher) updated(oldObj, newObj any) {
	oldPod, ok1 := oldObj.(*corev1.Pod)
	newPod, ok2 := newObj.(*corev1.Pod)
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
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	attrs := []any{
		"event", event, "namespace", pod.Namespace, "pod", pod.Name, "uid", string(pod.UID),
		"node", pod.Spec.NodeName, "phase", string(pod.Status.Phase), "podIP", pod.Status.PodIP,
	}
	if len(changes) > 0 {
		attrs = append(attrs, "changes", changes)
	}
	w.metrics.events.WithLabelValues(event).Inc()
	w.log.Info("pod "+event, attrs...)
}

// changes lists what a person would want to know about an update; resyncs
// and status heartbeats that change none of it produce no line.
func changes(a, b *corev1.Pod) []string {
	var out []string
	add := func(what string, from, to any) {
		if fmt.Sprint(from) != fmt.Sprint(to) {
			out = append(out, fmt.Sprintf("%s: %v -> %v", what, from, to))
		}
	}
	add("phase", a.Status.Phase, b.Status.Phase)
	add("ready", isReady(a), isReady(b))
	add("podIP", a.Status.PodIP, b.Status.PodIP)
	add("containers", containerStates(a), containerStates(b))
	add("restarts", restarts(a), restarts(b))
	add("labels", a.Labels, b.Labels)
	if a.DeletionTimestamp == nil && b.DeletionTimestamp != nil {
		out = append(out, "deletion started")
	}
	return out
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func containerStates(p *corev1.Pod) string {
	var s []string
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Running != nil:
			s = append(s, c.Name+"=running")
		case c.State.Waiting != nil:
			s = append(s, c.Name+"=waiting:"+c.State.Waiting.Reason)
		case c.State.Terminated != nil:
			s = append(s, c.Name+"=terminated:"+c.State.Terminated.Reason)
		}
	}
	return strings.Join(s, ",")
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n += c.RestartCount
	}
	return n
}

// trim keeps only what the watcher reads (labels, node, phase, readiness,
// IP, container states and restarts) before the object enters the cache:
// with thousands of pods on a node the rest would be most of its memory.
func trim(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	pod.ManagedFields = nil
	pod.Annotations = nil
	pod.OwnerReferences = nil
	pod.Finalizers = nil
	pod.Spec = corev1.PodSpec{NodeName: pod.Spec.NodeName}
	var ready []corev1.PodCondition
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			ready = append(ready, corev1.PodCondition{Type: c.Type, Status: c.Status})
		}
	}
	statuses := make([]corev1.ContainerStatus, 0, len(pod.Status.ContainerStatuses))
	for _, c := range pod.Status.ContainerStatuses {
		statuses = append(statuses, corev1.ContainerStatus{Name: c.Name, State: stateOnly(c.State), RestartCount: c.RestartCount})
	}
	pod.Status = corev1.PodStatus{Phase: pod.Status.Phase, PodIP: pod.Status.PodIP, Conditions: ready, ContainerStatuses: statuses}
	return pod, nil
}

// stateOnly keeps which state a container is in and its reason.
func stateOnly(s corev1.ContainerState) corev1.ContainerState {
	switch {
	case s.Running != nil:
		return corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	case s.Waiting != nil:
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: s.Waiting.Reason}}
	case s.Terminated != nil:
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: s.Terminated.Reason}}
	}
	return s
}
