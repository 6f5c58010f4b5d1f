package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/dynamic"
	kapply "k8s.io/kubectl/pkg/cmd/apply"
	cmddelete "k8s.io/kubectl/pkg/cmd/delete"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Options control one apply.
type Options struct {
	// DryRun asks the API server to validate and default without persisting.
	DryRun bool
	// ForceConflicts takes over fields another field manager owns.
	ForceConflicts bool
	// Wait waits until every applied object is ready.
	Wait    bool
	Timeout time.Duration
	// Progress receives one line per step of a long wait.
	Progress io.Writer
}

// Action is what apply did to one object.
type Action string

// The actions of the summary, as kubectl words them.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Pruned     Action = "pruned"
	Deleted    Action = "deleted"
	Kept       Action = "kept"
)

// Result is the outcome for one object.
type Result struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Action    Action `json:"action"`
}

// Summary is what apply reports at the end.
type Summary struct {
	DryRun  bool     `json:"dryRun"`
	Results []Result `json:"results"`
}

// Apply server-side applies objs in dependency order as the stack's ApplySet,
// prunes members that left it, and waits for readiness when asked. On error
// the summary holds what was done before it.
func Apply(ctx context.Context, c *kube.Clients, objs []Object, o Options) (*Summary, error) {
	sum := &Summary{DryRun: o.DryRun}
	ns := setNamespace(objs, stack.Namespace)
	set, infos, err := labelledSet(c, objs)
	if err != nil {
		return sum, err
	}
	a := applier{c: c, o: o, visited: sets.New[types.UID]()}

	// The parent lives in the namespace, so namespaces go first; the parent
	// then records every kind before any other object is written, so an
	// interrupted apply leaves nothing outside the set.
	rest := objs
	for len(rest) > 0 && rest[0].GetKind() == "Namespace" {
		if err := a.apply(ctx, rest[0], sum); err != nil {
			return sum, err
		}
		rest = rest[1:]
	}
	if err := a.checkNamespace(ctx, ns); err != nil {
		return sum, err
	}
	if err := set.BeforeApply(infos, a.dryRunStrategy(), metav1.FieldValidationStrict); err != nil {
		return sum, fmt.Errorf("recording the ApplySet in secret %s/%s: %w", ns, stack.ApplySetParent, kube.Explain(err))
	}
	for _, obj := range rest {
		if err := a.apply(ctx, obj, sum); err != nil {
			return sum, err
		}
	}
	if err := a.prune(ctx, set, sum); err != nil {
		return sum, err
	}
	if o.Wait && !o.DryRun {
		return sum, Wait(ctx, c, objs, o.Timeout, o.Progress)
	}
	return sum, nil
}

type applier struct {
	c       *kube.Clients
	o       Options
	visited sets.Set[types.UID]
}

func (a *applier) dryRunStrategy() cmdutil.DryRunStrategy {
	if a.o.DryRun {
		return cmdutil.DryRunServer
	}
	return cmdutil.DryRunNone
}

// checkNamespace explains the one thing a server dry run cannot do: validate
// objects in a namespace that does not exist yet.
func (a *applier) checkNamespace(ctx context.Context, ns string) error {
	_, err := a.c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && a.o.DryRun {
		return fmt.Errorf("namespace %q does not exist yet, so a server dry run cannot check the objects in it: apply once without --dry-run", ns)
	}
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("namespace %q does not exist: add a Namespace object to the overlay or create it", ns)
	}
	return kube.Explain(err)
}

func (a *applier) apply(ctx context.Context, obj Object, sum *Summary) error {
	live, out, err := a.patch(ctx, obj)
	if err != nil {
		return err
	}
	a.visited.Insert(out.GetUID())
	action := Created
	if live != nil {
		action = Configured
		if sameContent(live, out) {
			action = Unchanged
		}
	}
	sum.Results = append(sum.Results, result(obj.Unstructured, action))
	return nil
}

// patch returns the live object (nil when absent) and the applied one.
func (a *applier) patch(ctx context.Context, obj Object) (live, out *unstructured.Unstructured, err error) {
	client := resourceClient(a.c, obj)
	live, err = client.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		live, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", obj.Ref(), kube.Explain(err))
	}
	data, err := json.Marshal(obj.Unstructured)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding %s: %w", obj.Ref(), err)
	}
	opts := metav1.PatchOptions{
		FieldManager:    stack.FieldManager,
		Force:           &a.o.ForceConflicts,
		FieldValidation: metav1.FieldValidationStrict,
	}
	if a.o.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	out, err = client.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
	if apierrors.IsConflict(err) {
		return nil, nil, fmt.Errorf("conflict applying %s: %s; another field manager owns these fields: re-run with --force-conflicts to take them over",
			obj.Ref(), kube.OneLine(err))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("applying %s: %w", obj.Ref(), kube.Explain(err))
	}
	return live, out, nil
}

// sameContent compares two versions of an object, ignoring the bookkeeping a
// no-op apply may still touch.
func sameContent(a, b *unstructured.Unstructured) bool {
	return equality.Semantic.DeepEqual(comparable(a), comparable(b))
}

func comparable(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	c.SetManagedFields(nil)
	c.SetResourceVersion("")
	c.SetGeneration(0)
	return c.Object
}

func (a *applier) prune(ctx context.Context, set *kapply.ApplySet, sum *Summary) error {
	record := printers.ResourcePrinterFunc(func(obj runtime.Object, _ io.Writer) error {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			sum.Results = append(sum.Results, result(u, Pruned))
		}
		return nil
	})
	opts := &kapply.ApplyOptions{
		DynamicClient:       a.c.Dynamic,
		VisitedUids:         a.visited,
		DryRunStrategy:      a.dryRunStrategy(),
		ValidationDirective: metav1.FieldValidationStrict,
		DeleteOptions: &cmddelete.DeleteOptions{
			CascadingStrategy: metav1.DeletePropagationBackground,
			GracePeriod:       -1,
		},
		ToPrinter: func(string) (printers.ResourcePrinter, error) { return record, nil },
		IOStreams: genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard},
	}
	if err := set.Prune(ctx, opts); err != nil {
		return fmt.Errorf("pruning objects that left the overlay: %w", kube.Explain(err))
	}
	return nil
}

func result(u *unstructured.Unstructured, action Action) Result {
	return Result{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Action: action}
}

func resourceClient(c *kube.Clients, obj Object) dynamic.ResourceInterface {
	r := c.Dynamic.Resource(obj.Mapping.Resource)
	if obj.namespaced() {
		return r.Namespace(obj.GetNamespace())
	}
	return r
}
