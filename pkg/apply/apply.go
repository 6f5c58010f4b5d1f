package apply

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/dynamic"

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
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Action     Action `json:"action"`
}

// Summary is what apply reports at the end.
type Summary struct {
	DryRun  bool     `json:"dryRun"`
	Results []Result `json:"results"`
}

// Apply server-side applies the set's objects in dependency order as the
// stack's ApplySet, prunes members that left it, and waits for readiness
// when asked. Each object costs one request: whether it was created,
// configured or left unchanged comes from the apply's response and one list
// of the set's members taken before. On error the summary holds what was
// done before it.
func Apply(ctx context.Context, c *kube.Clients, s *Set, o Options) (*Summary, error) {
	sum := &Summary{DryRun: o.DryRun}
	set, err := guard(ctx, c, s)
	if err != nil {
		return sum, err
	}
	a := newApplier(c, o.DryRun, o.ForceConflicts)
	exists, err := a.namespaceExists(ctx, s.Namespace)
	if err != nil {
		return sum, err
	}
	rest := s.Objects
	if !exists {
		// The parent lives in the namespace, so the namespace goes first;
		// there is nothing of the set to list yet.
		for len(rest) > 0 && rest[0].GetKind() == "Namespace" {
			if err := a.apply(ctx, rest[0], sum); err != nil {
				return sum, err
			}
			rest = rest[1:]
		}
		if err := a.requireNamespace(ctx, s.Namespace); err != nil {
			return sum, err
		}
	}
	if err := set.record(s.Objects, o.DryRun); err != nil {
		return sum, fmt.Errorf("recording the ApplySet in secret %s/%s: %w", s.Namespace, stack.ApplySetParent, kube.Explain(err))
	}
	if exists {
		if a.live, err = liveMembers(ctx, set); err != nil {
			return sum, err
		}
	}
	for _, group := range byRank(rest) {
		if err := a.applyGroup(ctx, group, sum); err != nil {
			return sum, err
		}
	}
	if !exists || a.leftToPrune() || !set.recordsOnly(s.Objects) {
		if err := a.keepData(ctx, sum); err != nil {
			return sum, err
		}
		err = set.prune(ctx, a.visited, o.DryRun, func(u *unstructured.Unstructured) {
			sum.Results = append(sum.Results, result(u, Pruned))
		})
		if err != nil {
			return sum, err
		}
	}
	if o.Wait && !o.DryRun {
		return sum, Wait(ctx, c, s, o.Timeout, o.Progress)
	}
	return sum, nil
}

// leftToPrune says a member listed before the apply was not applied now.
func (a *applier) leftToPrune() bool {
	for _, u := range a.live {
		if !a.visited.Has(u.GetUID()) {
			return true
		}
	}
	return false
}

// applier applies objects one request each and remembers what it touched.
type applier struct {
	c             *kube.Clients
	dryRun, force bool
	visited       sets.Set[types.UID]
	live          map[string]Object // the set's members before, by key
	mu            sync.Mutex        // guards restClients: applies of one rank run at once
	restClients   map[string]resource.RESTClient
}

func newApplier(c *kube.Clients, dryRun, force bool) *applier {
	return &applier{c: c, dryRun: dryRun, force: force, visited: sets.New[types.UID](),
		live: map[string]Object{}, restClients: map[string]resource.RESTClient{}}
}

// liveMembers lists the set's members, by key, before anything is applied.
func liveMembers(ctx context.Context, set *applySet) (map[string]Object, error) {
	members, err := set.members(ctx, sets.New[types.UID]())
	if err != nil {
		return nil, err
	}
	live := make(map[string]Object, len(members))
	for _, m := range members {
		live[key(m.Unstructured)] = m
	}
	return live, nil
}

func (a *applier) namespaceExists(ctx context.Context, ns string) (bool, error) {
	_, err := a.c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, kube.Explain(err)
	}
	return true, nil
}

// requireNamespace explains the one thing a server dry run cannot do:
// validate objects in a namespace that does not exist yet.
func (a *applier) requireNamespace(ctx context.Context, ns string) error {
	exists, err := a.namespaceExists(ctx, ns)
	switch {
	case err != nil || exists:
		return err
	case a.dryRun:
		return fmt.Errorf("namespace %q does not exist yet, so a server dry run cannot check the objects in it: apply once without --dry-run", ns)
	}
	return fmt.Errorf("namespace %q does not exist: add a Namespace object to the overlay or create it", ns)
}

func (a *applier) apply(ctx context.Context, obj Object, sum *Summary) error {
	return a.applyGroup(ctx, []Object{obj}, sum)
}

// maxInFlight bounds the applies sent at once, so a large overlay does not
// queue hundreds of requests on the client's rate limiter.
const maxInFlight = 8

// applyGroup applies objects that depend on none of each other (one rank)
// at once, and adds their results in order. On errors it adds the results
// of those that were applied and returns the first error.
func (a *applier) applyGroup(ctx context.Context, group []Object, sum *Summary) error {
	type outcome struct {
		out     *unstructured.Unstructured
		created bool
		err     error
	}
	outcomes := make([]outcome, len(group))
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i, obj := range group {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			out, created, err := a.patch(ctx, obj)
			outcomes[i] = outcome{out, created, err}
		})
	}
	wg.Wait()
	var first error
	for i, o := range outcomes {
		if o.err != nil {
			first = cmp.Or(first, o.err)
			continue
		}
		a.visited.Insert(o.out.GetUID())
		sum.Results = append(sum.Results, result(group[i].Unstructured, a.action(group[i], o.out, o.created)))
	}
	return first
}

// byRank splits objects in dependency order into runs of one rank.
// Services go one at a time: the API server sometimes refuses a Service's
// own NodePort as "already allocated" when other Services are created at
// the same moment (test/integration against v1.37: 2 runs in 5 failed).
func byRank(objs []Object) [][]Object {
	var groups [][]Object
	for i, o := range objs {
		if i == 0 || rank(o) != rank(objs[i-1]) || o.GetKind() == "Service" {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], o)
	}
	return groups
}

// action labels an applied object: created when the server says so (201),
// unchanged when it equals the member listed before, else configured (a
// member that changed, or an object the set adopts).
func (a *applier) action(obj Object, out *unstructured.Unstructured, created bool) Action {
	if created {
		return Created
	}
	if live, ok := a.live[key(obj.Unstructured)]; ok && sameContent(live.Unstructured, out) {
		return Unchanged
	}
	return Configured
}

// patch server-side applies obj and says whether the server created it.
func (a *applier) patch(ctx context.Context, obj Object) (*unstructured.Unstructured, bool, error) {
	client, err := a.restClient(obj)
	if err != nil {
		return nil, false, err
	}
	data, err := json.Marshal(obj.Unstructured)
	if err != nil {
		return nil, false, fmt.Errorf("encoding %s: %w", obj.Ref(), err)
	}
	opts := metav1.PatchOptions{FieldManager: stack.FieldManager, Force: &a.force, FieldValidation: metav1.FieldValidationStrict}
	if a.dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	res := client.Patch(types.ApplyPatchType).
		NamespaceIfScoped(obj.GetNamespace(), obj.namespaced()).
		Resource(obj.Mapping.Resource.Resource).Name(obj.GetName()).
		VersionedParams(&opts, metav1.ParameterCodec).Body(data).Do(ctx)
	var code int
	res.StatusCode(&code)
	got, err := res.Get()
	if apierrors.IsConflict(err) {
		return nil, false, fmt.Errorf("conflict applying %s: %s; another field manager owns these fields: re-run with --force-conflicts to take them over",
			obj.Ref(), kube.OneLine(err))
	}
	if err != nil {
		return nil, false, fmt.Errorf("applying %s: %w", obj.Ref(), kube.Explain(err))
	}
	out, ok := got.(*unstructured.Unstructured)
	if !ok {
		return nil, false, fmt.Errorf("applying %s: the server answered with %T", obj.Ref(), got)
	}
	return out, code == http.StatusCreated, nil
}

// restClient is the unstructured REST client of obj's resource; unlike the
// dynamic client it tells the response's status code.
func (a *applier) restClient(obj Object) (resource.RESTClient, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	gvr := obj.Mapping.Resource.String()
	if c, ok := a.restClients[gvr]; ok {
		return c, nil
	}
	c, err := a.c.ClientFunc(obj.Mapping)
	if err != nil {
		return nil, kube.Explain(err)
	}
	a.restClients[gvr] = c
	return c, nil
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

// key identifies an object across a list and an apply.
func key(u *unstructured.Unstructured) string {
	return u.GroupVersionKind().GroupKind().String() + "/" + u.GetNamespace() + "/" + u.GetName()
}

func result(u *unstructured.Unstructured, action Action) Result {
	return Result{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Action: action}
}

func resourceClient(c *kube.Clients, obj Object) dynamic.ResourceInterface {
	r := c.Dynamic.Resource(obj.Mapping.Resource)
	if obj.namespaced() {
		return r.Namespace(obj.GetNamespace())
	}
	return r
}
