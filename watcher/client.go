package main

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// podsClient is a REST client for core/v1 that knows only pods. The
// clientset and its informer factory would link and register every API
// group's types: most of the watcher's binary and of its resident memory
// before it watched anything (each page of the binary it touches counts).
func podsClient(cfg *rest.Config) (rest.Interface, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	c := rest.CopyConfig(cfg)
	c.APIPath = "/api"
	c.GroupVersion = &corev1.SchemeGroupVersion
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	// Pods in protobuf: a smaller body to read and less to decode than JSON.
	c.ContentType = runtime.ContentTypeProtobuf
	c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.RESTClientFor(c)
}

// podsListWatch lists and watches the pods of the watcher's scope. One
// namespace (the stack's, by default): a Role then suffices, and a stack
// never sees another's pods.
func podsListWatch(client rest.Interface, sc scope) cache.ListerWatcher {
	return cache.NewFilteredListWatchFromClient(client, "pods", sc.namespace, func(o *metav1.ListOptions) {
		if !sc.allNodes {
			// O(pods on this node) work per DaemonSet pod, not O(pods in
			// the cluster).
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", sc.node).String()
		}
	})
}
