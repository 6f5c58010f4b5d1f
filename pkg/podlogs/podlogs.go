// Package podlogs reads the logs of the pods a label selector picks, as
// stern does: every container's lines with their pod and time, merged in
// time order, or followed, picking up pods that start later (a rollout)
// and dropping those that go. It knows nothing of cobra; `kubectl stack
// logs` and `kubectl stack events` read through it.
package podlogs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Source says which logs to read.
type Source struct {
	Namespace string
	Selector  string
	// FieldSelector narrows the pods further, such as spec.nodeName=NODE.
	FieldSelector string
	// Container reads one container by name (an init container too);
	// empty reads every container of the pod's spec.
	Container string
	// Previous reads the previous instance of each container.
	Previous bool
	// SinceSeconds and TailLines limit the backlog, as kubectl logs does;
	// TailLines also bounds the merged result of a read.
	SinceSeconds *int64
	TailLines    *int64
}

// Line is one log line.
type Line struct {
	Time      time.Time `json:"time"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Message   string    `json:"message"`
}

// Read reads every container's log of the pods the selector picks now,
// merges the lines in time order, keeps the last TailLines, and hands them
// to sink.
func Read(ctx context.Context, c kubernetes.Interface, src Source, sink func(Line) error) error {
	pods, err := c.CoreV1().Pods(src.Namespace).List(ctx, metav1.ListOptions{LabelSelector: src.Selector, FieldSelector: src.FieldSelector})
	if err != nil {
		return kube.Explain(err)
	}
	var (
		mu    sync.Mutex
		all   []Line
		first error
		wg    sync.WaitGroup
	)
	for _, p := range pods.Items {
		for _, container := range containers(&p, src.Container, src.Previous) {
			wg.Go(func() {
				var lines []Line
				err := scan(ctx, c, src, p.Name, container, false, func(l Line) error {
					lines = append(lines, l)
					return nil
				})
				mu.Lock()
				defer mu.Unlock()
				all = append(all, lines...)
				if err != nil && first == nil {
					first = err
				}
			})
		}
	}
	wg.Wait()
	if first != nil {
		return first
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	if src.TailLines != nil && int64(len(all)) > *src.TailLines {
		all = all[int64(len(all))-*src.TailLines:]
	}
	for _, l := range all {
		if err := sink(l); err != nil {
			return err
		}
	}
	return nil
}

// containers are the names to read in pod p: only, or every container of
// its spec; with previous, only those that restarted (the others have no
// previous log).
func containers(p *corev1.Pod, only string, previous bool) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		if only == "" || c.Name == only {
			out = append(out, c.Name)
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.Name == only {
			out = append(out, c.Name)
		}
	}
	// A container that never started has no log yet, and asking for it
	// is an error: it is left out, as one without a previous instance.
	has := map[string]bool{}
	for _, st := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		started := st.State.Running != nil || st.State.Terminated != nil || st.RestartCount > 0
		has[st.Name] = started && (!previous || st.RestartCount > 0)
	}
	var kept []string
	for _, name := range out {
		if has[name] {
			kept = append(kept, name)
		}
	}
	return kept
}

// Follow streams every running pod the selector picks, and each that
// starts running later, until ctx ends; a pod's stream ends when the pod
// goes. sink is called from one goroutine at a time.
func Follow(ctx context.Context, c kubernetes.Interface, src Source, sink func(Line) error) error {
	var mu sync.Mutex
	out := func(l Line) error {
		mu.Lock()
		defer mu.Unlock()
		return sink(l)
	}
	w, err := c.CoreV1().Pods(src.Namespace).Watch(ctx, metav1.ListOptions{LabelSelector: src.Selector, FieldSelector: src.FieldSelector})
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
			for _, container := range containers(pod, src.Container, false) {
				go func(name string) {
					if err := scan(ctx, c, src, name, container, true, out); err != nil && ctx.Err() == nil {
						select {
						case errs <- err:
						default:
						}
					}
				}(pod.Name)
			}
		}
	}
}

// scan reads one container's log line by line, with the kubelet's
// timestamps, which give the merge its order.
func scan(ctx context.Context, c kubernetes.Interface, src Source, pod, container string, follow bool, sink func(Line) error) error {
	opts := &corev1.PodLogOptions{Container: container, Follow: follow, Previous: src.Previous, Timestamps: true,
		SinceSeconds: src.SinceSeconds, TailLines: src.TailLines}
	stream, err := c.CoreV1().Pods(src.Namespace).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return fmt.Errorf("reading the log of %s/%s: %w", pod, container, kube.Explain(err))
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if err := sink(parse(sc.Text(), pod, container)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the log of %s/%s: %w", pod, container, err)
	}
	return nil
}

// parse splits the kubelet's RFC 3339 timestamp from the message.
func parse(text, pod, container string) Line {
	l := Line{Pod: pod, Container: container, Message: text}
	stamp, msg, ok := strings.Cut(text, " ")
	if t, err := time.Parse(time.RFC3339Nano, stamp); ok && err == nil {
		l.Time, l.Message = t, msg
	}
	return l
}
