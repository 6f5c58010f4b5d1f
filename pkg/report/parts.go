package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/events"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/netcheck"
	"github.com/kubectl-stack/kubectl-stack/pkg/status"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// Parts are the bundle's parts for the stack in o.Namespace.
func Parts(c *kube.Clients, o Options) []Part {
	ns := o.Namespace
	return []Part{
		{"versions", func(ctx context.Context) ([]File, error) {
			v := map[string]string{"plugin": version.Version, "commit": version.Commit}
			sv, err := c.Typed.Discovery().ServerVersion()
			if err == nil {
				v["server"] = sv.GitVersion
			}
			files, _ := yamlFile("versions.yaml", v)
			return files, err
		}},
		{"status", func(ctx context.Context) ([]File, error) {
			r, err := status.Collect(ctx, c, ns, 2*time.Minute)
			if err != nil {
				return nil, err
			}
			return yamlFile("status.yaml", r)
		}},
		{"watcher events", func(ctx context.Context) ([]File, error) {
			var b bytes.Buffer
			err := events.Read(ctx, c.Typed, events.Options{Namespace: ns, TailLines: &o.TailLines}, func(ev events.Event) error {
				_, err := fmt.Fprintln(&b, events.Text(ev))
				return err
			})
			return []File{{Name: "events.txt", Data: b.Bytes()}}, err
		}},
		{"logs", func(ctx context.Context) ([]File, error) { return logs(ctx, c, ns, o.TailLines) }},
		{"objects", func(ctx context.Context) ([]File, error) { return objects(ctx, c, ns, o.IncludeSecrets) }},
		{"kubernetes events", func(ctx context.Context) ([]File, error) {
			list, err := c.Typed.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, kube.Explain(err)
			}
			return yamlFile("kubernetes-events.yaml", list.Items)
		}},
		{"nodes", func(ctx context.Context) ([]File, error) { return nodes(ctx, c) }},
		{"rendered overlay", func(context.Context) ([]File, error) {
			objs, err := build.Load(o.Overlay)
			if err != nil {
				return nil, err
			}
			return objectsFile("overlay.yaml", objs, o.IncludeSecrets)
		}},
		{"netcheck", func(ctx context.Context) ([]File, error) {
			scene, err := netcheck.ReadScene(ctx, c, ns)
			if err != nil {
				return nil, err
			}
			var b bytes.Buffer
			err = netcheck.Print(&b, scene.Expectations(), false, table.Options{Wide: true})
			return []File{{Name: "netcheck.txt", Data: b.Bytes()}}, err
		}},
	}
}

// logs are the last lines of every container of every pod in the
// namespace, and of its previous instance when it restarted. A log that
// cannot be read is an error; the others are kept.
func logs(ctx context.Context, c *kube.Clients, ns string, tail int64) ([]File, error) {
	pods, err := c.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, kube.Explain(err)
	}
	var files []File
	var failed []string
	for _, p := range pods.Items {
		for _, st := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			for _, previous := range []bool{false, true} {
				if previous && st.RestartCount == 0 {
					continue
				}
				opts := &corev1.PodLogOptions{Container: st.Name, Previous: previous, TailLines: &tail, Timestamps: true}
				data, err := c.Typed.CoreV1().Pods(ns).GetLogs(p.Name, opts).DoRaw(ctx)
				if err != nil {
					failed = append(failed, fmt.Sprintf("%s/%s: %v", p.Name, st.Name, kube.Explain(err)))
					continue
				}
				name := fmt.Sprintf("logs/%s/%s.log", p.Name, st.Name)
				if previous {
					name = fmt.Sprintf("logs/%s/%s.previous.log", p.Name, st.Name)
				}
				files = append(files, File{Name: name, Data: data})
			}
		}
	}
	if len(failed) > 0 {
		return files, fmt.Errorf("%d logs not read: %s", len(failed), strings.Join(failed, "; "))
	}
	return files, nil
}

// objects are the ApplySet's members, the claims and the pods, each as
// the API server has it (describe's facts, as YAML).
func objects(ctx context.Context, c *kube.Clients, ns string, keepSecrets bool) ([]File, error) {
	members, err := apply.Members(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, m := range members {
		objs = append(objs, m.Unstructured)
	}
	claims, err := c.Typed.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, kube.Explain(err)
	}
	for i := range claims.Items {
		claims.Items[i].APIVersion, claims.Items[i].Kind = "v1", "PersistentVolumeClaim"
		objs = append(objs, toUnstructured(&claims.Items[i]))
	}
	pods, err := c.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, kube.Explain(err)
	}
	for i := range pods.Items {
		pods.Items[i].APIVersion, pods.Items[i].Kind = "v1", "Pod"
		objs = append(objs, toUnstructured(&pods.Items[i]))
	}
	return objectsFile("objects.yaml", objs, keepSecrets)
}

// toUnstructured converts a typed object read from the API server, which
// always converts.
func toUnstructured(obj runtime.Object) *unstructured.Unstructured {
	m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	return &unstructured.Unstructured{Object: m}
}

// objectsFile writes objects as one multi-document YAML file.
func objectsFile(name string, objs []*unstructured.Unstructured, keepSecrets bool) ([]File, error) {
	var b bytes.Buffer
	for _, u := range objs {
		files, err := yamlFile(name, Redacted(u, keepSecrets).Object)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(files[0].Data)
	}
	return []File{{Name: name, Data: b.Bytes()}}, nil
}

// nodes are each node's conditions, labels and capacity.
func nodes(ctx context.Context, c *kube.Clients) ([]File, error) {
	list, err := c.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, kube.Explain(err)
	}
	type node struct {
		Name       string                 `json:"name"`
		Labels     map[string]string      `json:"labels"`
		Conditions []corev1.NodeCondition `json:"conditions"`
		Capacity   corev1.ResourceList    `json:"capacity"`
	}
	out := make([]node, 0, len(list.Items))
	for _, n := range list.Items {
		out = append(out, node{Name: n.Name, Labels: n.Labels, Conditions: n.Status.Conditions, Capacity: n.Status.Capacity})
	}
	return yamlFile("nodes.yaml", out)
}
