package kube

import corev1 "k8s.io/api/core/v1"

// PodReady says the pod is Ready and not being deleted: one to send work.
func PodReady(pod *corev1.Pod) bool {
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue && pod.DeletionTimestamp == nil {
			return true
		}
	}
	return false
}
