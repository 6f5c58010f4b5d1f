// Package kube builds the API clients every verb shares from kubectl's own
// factory, and turns API errors into one-line messages that name the fix.
package kube

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// Clients are the API clients of one invocation.
type Clients struct {
	Dynamic  dynamic.Interface
	Typed    kubernetes.Interface
	Metadata metadata.Interface
	// Unthrottled skips client-go's client-side rate limit, for fan-outs
	// that bound their own concurrency (status's serving-host reads): the
	// limiter would queue a thousand small reads for twenty seconds.
	Unthrottled kubernetes.Interface
	Mapper      meta.RESTMapper
	ClientFunc  func(*meta.RESTMapping) (resource.RESTClient, error)
	// Config is the REST config the clients were built from (exec needs it).
	Config *rest.Config
}

// NewClients builds the clients from kubectl's factory, which honours
// --kubeconfig, --context, --server and the other standard flags.
func NewClients(f cmdutil.Factory) (*Clients, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %s (check --kubeconfig and --context)", OneLine(err))
	}
	dyn, err := f.DynamicClient()
	if err != nil {
		return nil, Explain(err)
	}
	typed, err := f.KubernetesClientSet()
	if err != nil {
		return nil, Explain(err)
	}
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst, fast.RateLimiter = -1, 0, nil
	unthrottled, err := kubernetes.NewForConfig(fast)
	if err != nil {
		return nil, Explain(err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, Explain(err)
	}
	mapper, err := f.ToRESTMapper()
	if err != nil {
		return nil, Explain(err)
	}
	return &Clients{
		Dynamic:     dyn,
		Typed:       typed,
		Metadata:    md,
		Unthrottled: unthrottled,
		Mapper:      mapper,
		ClientFunc:  f.UnstructuredClientForMapping,
		Config:      cfg,
	}, nil
}
