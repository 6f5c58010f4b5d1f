package apply

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Diff prints what apply would change, as kubectl diff does (a unified diff
// of live and merged objects from a server-side dry run, through the diff
// program KUBECTL_EXTERNAL_DIFF names), and the members apply would prune.
// It reports whether anything would change.
func Diff(ctx context.Context, c *kube.Clients, s *Set, streams genericiooptions.IOStreams) (bool, error) {
	set, err := openApplySet(c, s.Namespace)
	if err != nil {
		return false, err
	}
	if err := set.label(s.Objects); err != nil {
		return false, err
	}
	d, err := newDiffer()
	if err != nil {
		return false, err
	}
	defer d.tearDown()

	a := newApplier(c, true, false)
	nsExists, err := a.namespaceExists(ctx, s.Namespace)
	if err != nil {
		return false, err
	}
	if nsExists {
		if err := set.read(); err != nil {
			return false, err
		}
		if a.live, err = liveMembers(ctx, set); err != nil {
			return false, err
		}
	}
	changed := false
	for _, obj := range s.Objects {
		do, err := a.preview(ctx, obj, nsExists)
		if err != nil {
			return false, err
		}
		if do.same() {
			continue
		}
		changed = true
		if err := d.add(do); err != nil {
			return false, err
		}
	}
	if changed {
		if err := d.show(streams); err != nil {
			return false, err
		}
	}
	if !nsExists {
		return changed, nil
	}
	pruned, err := set.members(ctx, a.visited)
	if err != nil {
		return false, err
	}
	for _, p := range pruned {
		if dataKinds.Has(p.GetKind()) {
			fmt.Fprintf(streams.Out, "would keep %s (it holds the database's data: it leaves the set, it is not pruned)\n", p.Ref())
			continue
		}
		fmt.Fprintf(streams.Out, "would prune %s\n", p.Ref())
	}
	return changed || len(pruned) > 0, nil
}

// diffObject is one object's live and merged versions for kubectl's differ.
type diffObject struct {
	live, merged runtime.Object
	name         string
}

func (d diffObject) Live() runtime.Object            { return d.live }
func (d diffObject) Merged() (runtime.Object, error) { return d.merged, nil }
func (d diffObject) Name() string                    { return d.name }

func (d diffObject) same() bool {
	if d.live == nil {
		return false
	}
	return sameContent(d.live.(*unstructured.Unstructured), d.merged.(*unstructured.Unstructured))
}

// preview returns the object as the server would store it, and as it is.
// Objects in a namespace that does not exist yet cannot be dry-run; they
// would be created as written.
func (a *applier) preview(ctx context.Context, obj Object, nsExists bool) (diffObject, error) {
	gvk := obj.Mapping.GroupVersionKind
	// One file name per object, with no "/" in it, as kubectl diff names them.
	name := strings.Join([]string{gvk.Group, gvk.Version, gvk.Kind, obj.GetNamespace(), obj.GetName()}, ".")
	if obj.namespaced() && !nsExists {
		return diffObject{merged: obj.Unstructured, name: name}, nil
	}
	out, created, err := a.patch(ctx, obj)
	if err != nil {
		return diffObject{}, err
	}
	a.visited.Insert(out.GetUID())
	d := diffObject{merged: out, name: name}
	if created {
		return d, nil
	}
	live, err := a.liveObject(ctx, obj)
	if err != nil {
		return diffObject{}, err
	}
	// Only a real object goes into the interface: a typed nil (deleted
	// meanwhile) would look like a live object to kubectl's differ.
	if live != nil {
		d.live = live
	}
	return d, nil
}

// liveObject is the member listed before, or, for an object the set would
// adopt, the object read now.
func (a *applier) liveObject(ctx context.Context, obj Object) (*unstructured.Unstructured, error) {
	if live, ok := a.live[key(obj.Unstructured)]; ok {
		return live.Unstructured, nil
	}
	live, err := resourceClient(a.c, obj).Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", obj.Ref(), kube.Explain(err))
	}
	return live, nil
}
