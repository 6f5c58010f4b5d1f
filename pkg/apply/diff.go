package apply

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kapply "k8s.io/kubectl/pkg/cmd/apply"
	kdiff "k8s.io/kubectl/pkg/cmd/diff"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/utils/exec"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Diff prints what apply would change, as kubectl diff does (a unified diff
// of live and merged objects from a server-side dry run, through the diff
// program KUBECTL_EXTERNAL_DIFF names), and the members apply would prune.
// It reports whether anything would change.
func Diff(ctx context.Context, c *kube.Clients, objs []Object, streams genericiooptions.IOStreams) (bool, error) {
	ns := setNamespace(objs, stack.Namespace)
	set, _, err := labelledSet(c, objs)
	if err != nil {
		return false, err
	}
	differ, err := kdiff.NewDiffer("LIVE", "MERGED")
	if err != nil {
		return false, err
	}
	defer differ.TearDown()

	a := applier{c: c, o: Options{DryRun: true}, visited: sets.New[types.UID]()}
	nsExists, err := namespaceExists(ctx, c, ns)
	if err != nil {
		return false, err
	}
	changed := false
	for _, obj := range objs {
		d, err := a.dryRun(ctx, obj, nsExists)
		if err != nil {
			return false, err
		}
		if d.same() {
			continue
		}
		changed = true
		if err := differ.Diff(d, kdiff.Printer{}, false, false); err != nil {
			return false, err
		}
	}
	if changed {
		program := &kdiff.DiffProgram{Exec: exec.New(), IOStreams: streams}
		if err := differ.Run(program); err != nil {
			if ee, ok := err.(exec.ExitError); !ok || ee.ExitStatus() != 1 {
				return false, err
			}
		}
	}
	if !nsExists {
		return changed, nil
	}
	pruned, err := prunable(ctx, c, set, a.visited)
	if err != nil {
		return false, err
	}
	for _, p := range pruned {
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
	return sameContent(toU(d.live), toU(d.merged))
}

// dryRun returns the object as the server would store it. Objects in a
// namespace that does not exist yet cannot be dry-run; they would be created
// as written.
func (a *applier) dryRun(ctx context.Context, obj Object, nsExists bool) (diffObject, error) {
	gvk := obj.Mapping.GroupVersionKind
	// One file name per object, with no "/" in it, as kubectl diff names them.
	name := strings.Join([]string{gvk.Group, gvk.Version, gvk.Kind, obj.GetNamespace(), obj.GetName()}, ".")
	if obj.namespaced() && !nsExists {
		return diffObject{merged: obj.Unstructured, name: name}, nil
	}
	live, out, err := a.patch(ctx, obj)
	if err != nil {
		return diffObject{}, err
	}
	a.visited.Insert(out.GetUID())
	d := diffObject{merged: out, name: name}
	// Only a real object goes into the interface: a typed nil would look
	// like a live object to kubectl's differ.
	if live != nil {
		d.live = live
	}
	return d, nil
}

// prunable lists the live members of the set that apply would prune.
func prunable(ctx context.Context, c *kube.Clients, set *kapply.ApplySet, visited sets.Set[types.UID]) ([]Object, error) {
	// A server dry run of the parent update reads and validates the parent
	// (tooling, id) and changes nothing.
	if err := set.BeforeApply(nil, cmdutil.DryRunServer, metav1.FieldValidationStrict); err != nil {
		return nil, fmt.Errorf("reading the ApplySet: %w", kube.Explain(err))
	}
	found, err := set.FindAllObjectsToPrune(ctx, c.Dynamic, visited)
	if err != nil {
		return nil, fmt.Errorf("listing the stack's objects: %w", kube.Explain(err))
	}
	return fromPruneObjects(found), nil
}

func toU(o runtime.Object) *unstructured.Unstructured {
	u, _ := o.(*unstructured.Unstructured)
	return u
}

func namespaceExists(ctx context.Context, c *kube.Clients, ns string) (bool, error) {
	_, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, kube.Explain(err)
}
