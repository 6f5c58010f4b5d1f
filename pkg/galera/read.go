package galera

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// readTimeout bounds one member's answer: a frozen member must not hold
// status up.
const readTimeout = 10 * time.Second

// Read asks every member of the stack in ns for its view, side by side.
func Read(ctx context.Context, clients *kube.Clients, ns string) ([]Member, error) {
	pods, err := clients.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(stack.Database.Selector()).String()})
	if err != nil {
		return nil, kube.Explain(err)
	}
	members := make([]Member, len(pods.Items))
	var wg sync.WaitGroup
	for i := range pods.Items {
		wg.Go(func() { members[i] = readMember(ctx, clients, &pods.Items[i]) })
	}
	wg.Wait()
	slices.SortFunc(members, func(a, b Member) int { return strings.Compare(a.Pod, b.Pod) })
	return members, nil
}

func readMember(ctx context.Context, clients *kube.Clients, p *corev1.Pod) Member {
	m := Member{Pod: p.Name, Node: p.Spec.NodeName, Seqno: -1}
	if !running(p) {
		m.Error = "not running (" + string(p.Status.Phase) + ")"
		return m
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := clients.Exec(ctx, p.Namespace, p.Name, stack.MySQLContainer, []string{"sh", "-c", readScript}, nil, &out, &errOut); err != nil {
		m.Error = fmt.Sprintf("cannot be read: %s", kube.OneLine(kube.Explain(err)))
		return m
	}
	parse(&m, out.String())
	return m
}

func running(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == stack.MySQLContainer {
			return cs.State.Running != nil
		}
	}
	return false
}

// Warnings are what status warns of: fewer members than want Synced in
// the primary component, a running member outside it, and members that
// wait for a person. Each member's own line says the rest.
func Warnings(members []Member, want int) []string {
	var out []string
	synced, waiting := 0, false
	for _, m := range members {
		switch {
		case m.Synced():
			synced++
		case m.State != "waiting" && m.ClusterSize > 0 && !m.Primary:
			out = append(out, fmt.Sprintf("database member %s is outside the primary component: it refuses reads and writes until it reaches the majority", m.Pod))
		case strings.Contains(m.Reason, "kubectl stack recover"):
			waiting = true
		}
	}
	if waiting {
		out = append([]string{"database: members wait for a choice they cannot make safely alone (see their lines): kubectl stack recover"}, out...)
	}
	if synced < want {
		out = append([]string{fmt.Sprintf("database: %d of %d members Synced in the primary component", synced, want)}, out...)
	}
	return out
}
