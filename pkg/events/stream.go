package events

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Options say which watcher lines to read.
type Options struct {
	Namespace string
	// Follow keeps streaming, also from watcher pods that start later.
	Follow bool
	// SinceSeconds and TailLines limit the backlog, as kubectl logs does.
	SinceSeconds *int64
	TailLines    *int64
	Filter       Filter
}

// Read calls sink for each matching event. Without Follow it reads every
// watcher pod's log, merges the lines in time order and returns; with Follow
// it streams until ctx ends.
func Read(ctx context.Context, client kubernetes.Interface, o Options, sink func(Event) error) error {
	if _, err := client.AppsV1().DaemonSets(o.Namespace).Get(ctx, stack.Watcher.Name, metav1.GetOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return &stack.NotDeployedError{Namespace: o.Namespace, Missing: "DaemonSet " + stack.Watcher.Name}
		}
		return kube.Explain(err)
	}
	if o.Follow {
		return follow(ctx, client, o, sink)
	}
	pods, err := watcherPods(ctx, client, o.Namespace)
	if err != nil {
		return err
	}
	var all []Event
	for _, p := range pods {
		evs, err := readPod(ctx, client, o, p.Name)
		if err != nil {
			return err
		}
		all = append(all, evs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	if o.TailLines != nil && int64(len(all)) > *o.TailLines {
		all = all[int64(len(all))-*o.TailLines:]
	}
	for _, ev := range all {
		if err := sink(ev); err != nil {
			return err
		}
	}
	return nil
}

func watcherPods(ctx context.Context, client kubernetes.Interface, ns string) ([]corev1.Pod, error) {
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector()})
	if err != nil {
		return nil, kube.Explain(err)
	}
	return list.Items, nil
}

func selector() string {
	return labels.SelectorFromSet(stack.Watcher.Selector()).String()
}

func logOptions(o Options, follow bool) *corev1.PodLogOptions {
	return &corev1.PodLogOptions{Container: stack.Watcher.Name, Follow: follow, SinceSeconds: o.SinceSeconds, TailLines: o.TailLines}
}

func readPod(ctx context.Context, client kubernetes.Interface, o Options, pod string) ([]Event, error) {
	var out []Event
	err := scanPod(ctx, client, o, pod, false, func(ev Event) error {
		out = append(out, ev)
		return nil
	})
	return out, err
}

// scanPod reads one pod's log line by line and hands on the matching events.
func scanPod(ctx context.Context, client kubernetes.Interface, o Options, pod string, follow bool, sink func(Event) error) error {
	stream, err := client.CoreV1().Pods(o.Namespace).GetLogs(pod, logOptions(o, follow)).Stream(ctx)
	if err != nil {
		return fmt.Errorf("reading the log of %s: %w", pod, kube.Explain(err))
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		ev, ok, err := Parse(sc.Text())
		if err != nil || !ok || !o.Filter.Match(ev) {
			continue
		}
		if err := sink(ev); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the log of %s: %w", pod, err)
	}
	return nil
}

// follow streams every running watcher pod, and each one that starts later
// (a rollout), until ctx ends.
func follow(ctx context.Context, client kubernetes.Interface, o Options, sink func(Event) error) error {
	var mu sync.Mutex
	out := func(ev Event) error {
		mu.Lock()
		defer mu.Unlock()
		return sink(ev)
	}
	w, err := client.CoreV1().Pods(o.Namespace).Watch(ctx, metav1.ListOptions{LabelSelector: selector()})
	if err != nil {
		return kube.Explain(err)
	}
	defer w.Stop()
	started := map[string]bool{}
	errs := make(chan error, 1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case e, ok := <-w.ResultChan():
			if !ok {
				return nil
			}
			pod, isPod := e.Object.(*corev1.Pod)
			if !isPod || e.Type == watch.Deleted || pod.Status.Phase != corev1.PodRunning || started[string(pod.UID)] {
				continue
			}
			started[string(pod.UID)] = true
			go func(name string) {
				if err := scanPod(ctx, client, o, name, true, out); err != nil && ctx.Err() == nil {
					select {
					case errs <- err:
					default:
					}
				}
			}(pod.Name)
		}
	}
}
