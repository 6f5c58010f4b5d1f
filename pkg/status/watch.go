package status

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// settle batches a burst of pod changes (a rollout touches each pod several
// times) into one redraw.
const settle = 300 * time.Millisecond

// rewatchAfter is how long a watch the server ended waits before the
// next: it ends them now and then (its timeout, a restart).
const rewatchAfter = time.Second

// Watch calls draw with a fresh report now and again after each change to
// the stack's pods, as a watch reports it, until ctx ends or draw fails.
// Collect's errors go to draw too: a stack not yet deployed may appear.
// Every request follows ctx, so Ctrl-C ends it at once; a first report that
// fails ends it as fast as a plain status.
func Watch(ctx context.Context, clients *kube.Clients, ns string, lagWarning time.Duration, draw func(*Report, error) error) error {
	pods := podWatch{client: clients.Typed, ns: ns}
	watchErr := pods.start(ctx)
	defer pods.stop()
	if err := draw(Collect(ctx, clients, ns, lagWarning)); err != nil || ctx.Err() != nil {
		return err
	}
	if watchErr != nil {
		return kube.Explain(watchErr)
	}
	for pods.changed(ctx) {
		if err := draw(Collect(ctx, clients, ns, lagWarning)); err != nil || ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// podWatch watches the stack's pods, watching again when the server ends
// the watch.
type podWatch struct {
	client kubernetes.Interface
	ns     string
	w      watch.Interface
}

// start watches from now on: from the resource version of a list, so the
// pods that are there already are not reported as added.
func (p *podWatch) start(ctx context.Context) error {
	opts := metav1.ListOptions{LabelSelector: stack.LabelInstance + "=" + stack.Instance}
	list, err := p.client.CoreV1().Pods(p.ns).List(ctx, metav1.ListOptions{LabelSelector: opts.LabelSelector, Limit: 1})
	if err != nil {
		return err
	}
	opts.ResourceVersion = list.ResourceVersion
	w, err := p.client.CoreV1().Pods(p.ns).Watch(ctx, opts)
	if err == nil {
		p.w = w
	}
	return err
}

func (p *podWatch) stop() {
	if p.w != nil {
		p.w.Stop()
		p.w = nil
	}
}

// changed waits for a change and for the burst it starts to settle, and
// says whether one came before ctx ended.
func (p *podWatch) changed(ctx context.Context) bool {
	if !p.next(ctx) {
		return false
	}
	settled := time.After(settle)
	events := p.w.ResultChan()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-settled:
			return true
		case ev, ok := <-events:
			if !ok || ev.Type == watch.Error {
				p.stop()
				events = nil // next starts another
			}
		}
	}
}

// next waits for one change. A watch the server ended is started again;
// the new one counts as a change, since the old one may have missed some.
func (p *podWatch) next(ctx context.Context) bool {
	for {
		if p.w == nil {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(rewatchAfter):
			}
			if p.start(ctx) == nil {
				return true
			}
			continue
		}
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-p.w.ResultChan():
			if ok && ev.Type != watch.Error {
				return true
			}
			p.stop()
		}
	}
}
