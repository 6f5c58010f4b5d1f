package apply

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/cli-runtime/pkg/resource"
	kapply "k8s.io/kubectl/pkg/cmd/apply"
	cmddelete "k8s.io/kubectl/pkg/cmd/delete"
	kdiff "k8s.io/kubectl/pkg/cmd/diff"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/utils/exec"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// This file is the one door to kubectl's own code: its ApplySet (KEP-3659)
// and prune, and its diff. kubectl keeps these in command packages whose
// shapes change between releases, so a kubectl bump touches this file only.

// ToolingName is written to the parent's applyset.kubernetes.io/tooling
// annotation; kubectl and other tools refuse to change a set another tool owns.
const ToolingName = "kubectl-stack"

// KEP-3659's label and annotation keys, as kubectl declares them.
const (
	ApplySetIDLabel      = kapply.ApplySetParentIDLabel
	ApplySetPartOfLabel  = kapply.ApplysetPartOfLabel
	ApplySetKindsAnnot   = kapply.ApplySetGKsAnnotation
	ApplySetToolingAnnot = kapply.ApplySetToolingAnnotation
)

// applySet is the stack's ApplySet: the parent Secret in one namespace.
type applySet struct {
	set *kapply.ApplySet
	c   *kube.Clients
}

func openApplySet(c *kube.Clients, namespace string) (*applySet, error) {
	ref, err := kapply.ParseApplySetParentRef("secrets/"+stack.ApplySetParent, c.Mapper)
	if err != nil {
		return nil, kube.Explain(err)
	}
	ref.Namespace = namespace
	client, err := c.ClientFunc(ref.RESTMapping)
	if err != nil {
		return nil, kube.Explain(err)
	}
	tooling := kapply.ApplySetTooling{Name: ToolingName, Version: version.Version}
	return &applySet{set: kapply.NewApplySet(ref, tooling, c.Mapper, client), c: c}, nil
}

// id is the set's KEP-3659 id, which its members' part-of label carries.
func (a *applySet) id() string { return a.set.ID() }

// setID is the id of the stack's ApplySet in namespace, computed (a hash of
// the parent's name, namespace and kind) without reading anything.
func setID(c *kube.Clients, namespace string) string {
	ref, err := kapply.ParseApplySetParentRef("secrets/"+stack.ApplySetParent, c.Mapper)
	if err != nil {
		return ""
	}
	ref.Namespace = namespace
	return kapply.NewApplySet(ref, kapply.ApplySetTooling{}, c.Mapper, nil).ID()
}

// label adds the member labels to every object.
func (a *applySet) label(objs []Object) error {
	return a.set.AddLabels(infos(objs)...)
}

// record reads the parent and writes the superset of its kinds and the
// objects', before any object is written, so an interrupted apply leaves
// nothing outside the set.
func (a *applySet) record(objs []Object, dryRun bool) error {
	return a.set.BeforeApply(infos(objs), dryRunStrategy(dryRun), metav1.FieldValidationStrict)
}

// read reads and validates the parent (tooling, id) through a server dry
// run of its update, which changes nothing.
func (a *applySet) read() error {
	if err := a.record(nil, true); err != nil {
		return fmt.Errorf("reading the ApplySet: %w", kube.Explain(err))
	}
	return nil
}

// members lists the live members the set holds, except the visited ones:
// one list per kind the parent records, run in parallel.
func (a *applySet) members(ctx context.Context, visited sets.Set[types.UID]) ([]Object, error) {
	found, err := a.set.FindAllObjectsToPrune(ctx, a.c.Dynamic, visited)
	if err != nil {
		return nil, fmt.Errorf("listing the stack's objects: %w", kube.Explain(err))
	}
	out := make([]Object, 0, len(found))
	for _, p := range found {
		if u, ok := p.Object.(*unstructured.Unstructured); ok {
			out = append(out, Object{Unstructured: u, Mapping: p.Mapping})
		}
	}
	return out, nil
}

// prune deletes the members not visited, reports each, and shrinks the
// parent's record to the kinds left.
func (a *applySet) prune(ctx context.Context, visited sets.Set[types.UID], dryRun bool, pruned func(*unstructured.Unstructured)) error {
	record := printers.ResourcePrinterFunc(func(obj runtime.Object, _ io.Writer) error {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			pruned(u)
		}
		return nil
	})
	opts := &kapply.ApplyOptions{
		DynamicClient:       a.c.Dynamic,
		VisitedUids:         visited,
		DryRunStrategy:      dryRunStrategy(dryRun),
		ValidationDirective: metav1.FieldValidationStrict,
		DeleteOptions: &cmddelete.DeleteOptions{
			CascadingStrategy: metav1.DeletePropagationBackground,
			GracePeriod:       -1,
		},
		ToPrinter: func(string) (printers.ResourcePrinter, error) { return record, nil },
		IOStreams: genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard},
	}
	if err := a.set.Prune(ctx, opts); err != nil {
		return fmt.Errorf("pruning objects that left the overlay: %w", kube.Explain(err))
	}
	return nil
}

// recordsOnly says the parent recorded, before this apply, as many kinds
// and namespaces as objs have. With no member left to prune, a prune would
// then leave the parent as it is, and is skipped. (Equal counts of
// different kinds leave the record a superset, which KEP-3659 allows; the
// next apply's prune shrinks it.)
func (a *applySet) recordsOnly(objs []Object) bool {
	kinds, namespaces := sets.New[string](), sets.New[string]()
	for _, o := range objs {
		kinds.Insert(o.Mapping.GroupVersionKind.GroupKind().String())
		if o.namespaced() {
			namespaces.Insert(o.GetNamespace())
		}
	}
	return len(a.set.AllPrunableResources()) == kinds.Len() && len(a.set.AllPrunableNamespaces()) == namespaces.Len()
}

// requireParent fails with stack.NotDeployedError when the namespace has no
// parent.
func requireParent(ctx context.Context, c *kube.Clients, namespace string) error {
	_, err := c.Typed.CoreV1().Secrets(namespace).Get(ctx, stack.ApplySetParent, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &stack.NotDeployedError{Namespace: namespace, Missing: "ApplySet parent secret/" + stack.ApplySetParent}
	}
	return kube.Explain(err)
}

func dryRunStrategy(dryRun bool) cmdutil.DryRunStrategy {
	if dryRun {
		return cmdutil.DryRunServer
	}
	return cmdutil.DryRunNone
}

func infos(objs []Object) []*resource.Info {
	out := make([]*resource.Info, len(objs))
	for i, o := range objs {
		out[i] = &resource.Info{Object: o.Unstructured, Mapping: o.Mapping, Namespace: o.GetNamespace(), Name: o.GetName()}
	}
	return out
}

// differ is kubectl diff's: live and merged versions in two folders, shown
// by the program KUBECTL_EXTERNAL_DIFF names.
type differ struct{ d *kdiff.Differ }

func newDiffer() (*differ, error) {
	d, err := kdiff.NewDiffer("LIVE", "MERGED")
	return &differ{d: d}, err
}

func (d *differ) add(obj diffObject) error { return d.d.Diff(obj, kdiff.Printer{}, false, false) }

// show runs the diff program; its exit status 1 means "differences", not
// a failure.
func (d *differ) show(streams genericiooptions.IOStreams) error {
	err := d.d.Run(&kdiff.DiffProgram{Exec: exec.New(), IOStreams: streams})
	if ee, ok := err.(exec.ExitError); ok && ee.ExitStatus() == 1 {
		return nil
	}
	return err
}

func (d *differ) tearDown() { d.d.TearDown() }
