package apply

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// HeldError says an object of the overlay belongs to another stack: its
// ApplySet holds it, or (a volume) its claim is bound to it. Changing it
// would take it from that stack; deleting it would delete that stack's
// permissions or data.
type HeldError struct {
	Object string
	// Holder names the other stack: "the stack in namespace X", or the
	// ApplySet's id when the namespaces cannot be listed.
	Holder string
	// Why is how the other stack holds it.
	Why string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s belongs to %s (%s): refusing to change or delete it; give it another name in this overlay, or delete that stack first",
		e.Object, e.Holder, e.Why)
}

// Guard runs what an apply checks before it writes anything: no object
// another stack holds, no NodePort another namespace's Service holds. It
// writes nothing, so it answers for a namespace that does not exist yet,
// where a server dry run cannot. s is left as it was, for the apply.
func Guard(ctx context.Context, c *kube.Clients, s *Set) error {
	checked := &Set{Namespace: s.Namespace, Objects: make([]Object, len(s.Objects))}
	for i, o := range s.Objects {
		checked.Objects[i] = Object{Unstructured: o.DeepCopy(), Mapping: o.Mapping}
	}
	_, err := guard(ctx, c, checked)
	return err
}

// guard labels the objects as members of the set and checks them.
func guard(ctx context.Context, c *kube.Clients, s *Set) (*applySet, error) {
	set, err := openApplySet(c, s.Namespace)
	if err != nil {
		return nil, err
	}
	if err := set.label(s.Objects); err != nil {
		return nil, err
	}
	if err := checkNodePorts(ctx, c, s.Objects, s.Namespace); err != nil {
		return nil, err
	}
	return set, checkHeld(ctx, c, s.Objects, s.Namespace, set.id())
}

// checkHeld refuses, before anything is written, an object that another
// stack holds. Only objects outside the set's namespace can be: a
// namespace's objects belong to the ApplySet whose parent lives there. So
// this costs one read per cluster-scoped object (the namespace, a volume,
// and a volume's claim), whatever the size of the overlay.
func checkHeld(ctx context.Context, c *kube.Clients, objs []Object, namespace, ownID string) error {
	for _, o := range objs {
		if o.namespaced() && o.GetNamespace() == namespace {
			continue
		}
		if err := checkClaimBinding(ctx, c, o, namespace); err != nil {
			return err
		}
		live, err := resourceClient(c, o).Get(ctx, o.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.Ref(), kube.Explain(err))
		}
		if err := heldElsewhere(ctx, c, o.Ref(), live, namespace, ownID); err != nil {
			return err
		}
	}
	return nil
}

// heldElsewhere says whether live, the cluster's copy of an object this
// stack means to change or delete, belongs to another stack.
func heldElsewhere(ctx context.Context, c *kube.Clients, ref string, live *unstructured.Unstructured, namespace, ownID string) error {
	if id := live.GetLabels()[ApplySetPartOfLabel]; id != "" && id != ownID {
		return &HeldError{Object: ref, Holder: holderOf(ctx, c, id), Why: "a member of its ApplySet"}
	}
	if claimNS, claim := claimOf(live); claimNS != "" && claimNS != namespace {
		return &HeldError{Object: ref, Holder: "the stack in namespace " + claimNS,
			Why: fmt.Sprintf("the volume of its claim %s", claim)}
	}
	return nil
}

// checkClaimBinding refuses a volume of the overlay meant for a claim of
// this stack that is already bound to another volume: the claim's data is
// there (a dev stack made before one volume per stack, or a rollback to
// one), and the database would keep it while the overlay says otherwise.
func checkClaimBinding(ctx context.Context, c *kube.Clients, o Object, namespace string) error {
	claimNS, claim := claimOf(o.Unstructured)
	if claimNS != namespace {
		return nil
	}
	pvc, err := c.Typed.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, claim, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading claim %s/%s: %w", namespace, claim, kube.Explain(err))
	}
	if pvc.Spec.VolumeName == "" || pvc.Spec.VolumeName == o.GetName() {
		return nil
	}
	return fmt.Errorf("claim %s/%s keeps its data on volume %s, not on %s as the overlay says: to move the data, "+
		"kubectl stack backup FILE -n %[1]s, kubectl stack delete --purge-data -n %[1]s, apply this overlay, kubectl stack restore FILE -n %[1]s",
		namespace, claim, pvc.Spec.VolumeName, o.GetName())
}

// claimOf is the claim a PersistentVolume is bound to, was bound to
// (Released: it still holds that claim's data), or is reserved for.
func claimOf(u *unstructured.Unstructured) (namespace, name string) {
	if u.GetKind() != "PersistentVolume" {
		return "", ""
	}
	ns, _, _ := unstructured.NestedString(u.Object, "spec", "claimRef", "namespace")
	name, _, _ = unstructured.NestedString(u.Object, "spec", "claimRef", "name")
	return ns, name
}

// holderOf names the stack whose ApplySet has the id: the namespace whose
// parent Secret hashes to it (KEP-3659 ids are a hash of the parent's
// name, namespace and kind, so no Secret needs to be read).
func holderOf(ctx context.Context, c *kube.Clients, id string) string {
	list, err := c.Typed.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, ns := range list.Items {
			if setID(c, ns.Name) == id {
				return "the stack in namespace " + ns.Name
			}
		}
	}
	return "another ApplySet (" + id + ")"
}

// checkNodePorts refuses, before anything is written, a NodePort that a
// Service of another namespace (another stack) holds: the API server would
// refuse it too, but only when the Service's turn comes, half-way through
// the apply. It costs one read when the stack already holds its ports, and
// one list of the cluster's Services when not. A user who may not list
// them is left to the API server's own refusal.
func checkNodePorts(ctx context.Context, c *kube.Clients, objs []Object, namespace string) error {
	for _, o := range objs {
		ports := nodePorts(o)
		if len(ports) == 0 {
			continue
		}
		live, err := c.Typed.CoreV1().Services(namespace).Get(ctx, o.GetName(), metav1.GetOptions{})
		switch {
		case err == nil && holdsAll(live, ports):
			continue
		case err != nil && !apierrors.IsNotFound(err):
			return fmt.Errorf("reading %s: %w", o.Ref(), kube.Explain(err))
		}
		all, err := c.Typed.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if apierrors.IsForbidden(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("listing the cluster's Services for their NodePorts: %w", kube.Explain(err))
		}
		for _, svc := range all.Items {
			if svc.Namespace == namespace && svc.Name == o.GetName() {
				continue
			}
			for _, p := range svc.Spec.Ports {
				if ports[p.NodePort] {
					return fmt.Errorf("NodePort %d of %s is taken by Service %s/%s%s: give this stack another NodePort (30000-32767) in its parameters",
						p.NodePort, o.Ref(), svc.Namespace, svc.Name, ofStack(&svc))
				}
			}
		}
	}
	return nil
}

// ofStack says " (the stack in namespace X)" of a Service a stack applied,
// and nothing of any other: the port may be another application's.
func ofStack(svc *corev1.Service) string {
	if svc.Labels[stack.LabelManagedBy] != stack.Instance {
		return ""
	}
	return " (the stack in namespace " + svc.Namespace + ")"
}

// nodePorts are the node ports a Service of the overlay asks for by number.
func nodePorts(o Object) map[int32]bool {
	if o.GetKind() != "Service" || o.Mapping.GroupVersionKind.Group != "" {
		return nil
	}
	list, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
	ports := map[int32]bool{}
	for _, p := range list {
		if m, ok := p.(map[string]any); ok {
			if n, _, _ := unstructured.NestedInt64(m, "nodePort"); n != 0 {
				ports[int32(n)] = true
			}
		}
	}
	return ports
}

// holdsAll says the live Service already has every one of ports.
func holdsAll(live *corev1.Service, ports map[int32]bool) bool {
	held := map[int32]bool{}
	for _, p := range live.Spec.Ports {
		held[p.NodePort] = true
	}
	for p := range ports {
		if !held[p] {
			return false
		}
	}
	return true
}
