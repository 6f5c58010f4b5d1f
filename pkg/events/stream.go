package events

import (
	"context"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/podlogs"
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
// it streams until ctx ends. The logs are read by pkg/podlogs, as `kubectl
// stack logs watcher` reads them.
func Read(ctx context.Context, client kubernetes.Interface, o Options, sink func(Event) error) error {
	if _, err := client.AppsV1().DaemonSets(o.Namespace).Get(ctx, stack.Watcher.Name, metav1.GetOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return &stack.NotDeployedError{Namespace: o.Namespace, Missing: "DaemonSet " + stack.Watcher.Name}
		}
		return kube.Explain(err)
	}
	src := podlogs.Source{Namespace: o.Namespace, Selector: labels.SelectorFromSet(stack.Watcher.Selector()).String(),
		Container: stack.Watcher.Name, SinceSeconds: o.SinceSeconds, TailLines: o.TailLines}
	if o.Filter.Node != "" {
		// A node's pods are watched by the watcher on that node: only its
		// log is read (the others may be on nodes that are unreachable).
		src.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", o.Filter.Node).String()
	}
	if o.Follow {
		return podlogs.Follow(ctx, client, src, func(l podlogs.Line) error {
			if ev, ok := o.match(l); ok {
				return sink(ev)
			}
			return nil
		})
	}
	var all []Event
	err := podlogs.Read(ctx, client, src, func(l podlogs.Line) error {
		if ev, ok := o.match(l); ok {
			all = append(all, ev)
		}
		return nil
	})
	if err != nil {
		return err
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

// match parses a watcher line and applies the filter.
func (o Options) match(l podlogs.Line) (Event, bool) {
	ev, ok, err := Parse(l.Message)
	return ev, err == nil && ok && o.Filter.Match(ev)
}
