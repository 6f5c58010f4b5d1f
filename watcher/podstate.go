package main

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podState is all the watcher keeps of a pod: what its lines say and what
// an update is compared on, each as a string or a number. With thousands of
// pods on a node even a trimmed *corev1.Pod (its spec and status structs
// are large when empty, its labels a map) was most of the watcher's memory.
type podState struct {
	// Name, namespace, UID and resource version only: the informer keys
	// its cache by the first two and tells a resync by the last.
	metav1.ObjectMeta
	node, phase, ip string
	// containers is each container's state and reason, as one string.
	containers string
	// labels are formatted once, as the update line prints them.
	labels   string
	ready    bool
	deleting bool
	restarts int32
}

// compact turns a pod into its podState before it enters the informer's
// queue and cache. Anything else (a podState already) passes unchanged, so
// it is idempotent as client-go asks of a transform.
func compact(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &podState{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion},
		node:       pod.Spec.NodeName,
		phase:      string(pod.Status.Phase),
		ip:         pod.Status.PodIP,
		containers: containerStates(pod),
		labels:     fmt.Sprint(pod.Labels),
		ready:      isReady(pod),
		deleting:   pod.DeletionTimestamp != nil,
		restarts:   restarts(pod),
	}, nil
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
