// Package podimages reads and rewrites the images of the pod templates of
// an overlay's objects (apart from package images, which links no
// Kubernetes package).
package podimages

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/images"
)

// Use is one image an overlay runs and the containers that run it.
type Use struct {
	Image  string   `json:"image"`
	UsedBy []string `json:"usedBy"`
}

// Uses lists the images of every pod template in objs, sorted.
func Uses(objs []*unstructured.Unstructured) []Use {
	by := map[string][]string{}
	forEachContainer(objs, func(u *unstructured.Unstructured, c map[string]any) {
		if img, ok := c["image"].(string); ok {
			by[img] = append(by[img], fmt.Sprintf("%s/%s:%v", u.GetKind(), u.GetName(), c["name"]))
		}
	})
	var out []Use
	for img, users := range by {
		sort.Strings(users)
		out = append(out, Use{Image: img, UsedBy: users})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out
}

// Rewrite points every image of objs at registry (when set) and adds the
// pull Secrets to every pod template, so the stack runs from a registry
// of the user's own, image digests unchanged.
func Rewrite(objs []*unstructured.Unstructured, registry string, pullSecrets []string) error {
	var err error
	forEachContainer(objs, func(u *unstructured.Unstructured, c map[string]any) {
		img, ok := c["image"].(string)
		if !ok || registry == "" || err != nil {
			return
		}
		var m images.Ref
		m, err = images.Mirror(img, registry)
		c["image"] = m.String()
	})
	if err != nil || len(pullSecrets) == 0 {
		return err
	}
	for _, u := range objs {
		if spec, ok := podSpec(u); ok {
			var refs []any
			for _, s := range pullSecrets {
				refs = append(refs, map[string]any{"name": s})
			}
			spec["imagePullSecrets"] = refs
		}
	}
	return nil
}

// forEachContainer calls fn with every container and init container of
// every pod template in objs; fn may change the container in place.
func forEachContainer(objs []*unstructured.Unstructured, fn func(*unstructured.Unstructured, map[string]any)) {
	for _, u := range objs {
		spec, ok := podSpec(u)
		if !ok {
			continue
		}
		for _, field := range []string{"initContainers", "containers"} {
			list, _ := spec[field].([]any)
			for _, c := range list {
				if m, ok := c.(map[string]any); ok {
					fn(u, m)
				}
			}
		}
	}
}

// podSpec is the pod spec of a workload or a pod, as a map into u.
func podSpec(u *unstructured.Unstructured) (map[string]any, bool) {
	var path []string
	switch u.GetKind() {
	case "Pod":
		path = []string{"spec"}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		path = []string{"spec", "template", "spec"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil, false
	}
	spec, ok, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	m, isMap := spec.(map[string]any)
	return m, ok && isMap
}
