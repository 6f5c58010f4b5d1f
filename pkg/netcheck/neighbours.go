package netcheck

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/stacks"
)

// Neighbour is another stack of the cluster: its web pod must not reach
// this stack's database, nor this stack's web pod its database.
type Neighbour struct {
	Namespace  string
	Web, MySQL Endpoint
}

// readNeighbours finds the other stacks, their running web and database
// pods, and their policies (for the egress side of the checks). A stack
// without both pods running yet is left out; so are all of them, with a
// note, when this user may not list the cluster's stacks.
func (s *Scene) readNeighbours(ctx context.Context, c *kube.Clients, ns string) error {
	namespaces, err := stacks.Namespaces(ctx, c)
	if apierrors.IsForbidden(err) {
		s.Note = "other stacks not checked: " + kube.OneLine(err)
		return nil
	}
	if err != nil {
		return err
	}
	for _, other := range namespaces {
		if other == ns {
			continue
		}
		n, err := readNeighbour(ctx, c, other)
		var notDeployed *stack.NotDeployedError
		if errors.As(err, &notDeployed) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the stack in namespace %s: %w", other, err)
		}
		s.Neighbours = append(s.Neighbours, *n)
		more, err := policies(ctx, c.Typed, other)
		if err != nil {
			return err
		}
		s.Policies = append(s.Policies, more...)
	}
	return nil
}

func readNeighbour(ctx context.Context, c *kube.Clients, ns string) (*Neighbour, error) {
	nsObj, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return nil, kube.Explain(err)
	}
	web, err := runningPod(ctx, c.Typed, ns, stack.Web)
	if err != nil {
		return nil, err
	}
	db, err := runningPod(ctx, c.Typed, ns, stack.Database)
	if err != nil {
		return nil, err
	}
	return &Neighbour{Namespace: ns, Web: PodEndpoint(web, nsObj.Labels), MySQL: PodEndpoint(db, nsObj.Labels)}, nil
}

// neighbourChecks are the denials between this stack and each other one,
// both ways, and the other's web tier reaching its own database: live,
// that connection shows its database listens, so a refusal of this web
// tier's is the policy's rejection, not an empty port.
func (s *Scene) neighbourChecks() []Check {
	port := int32(stack.MySQLPort)
	var out []Check
	for _, n := range s.Neighbours {
		out = append(out,
			Check{Name: "web of the stack in " + n.Namespace + " -> mysql:3306", Conn: Connection{From: n.Web, To: s.MySQL, Port: port}, Want: false},
			Check{Name: "web -> mysql of the stack in " + n.Namespace + ":3306", Conn: Connection{From: s.Web, To: n.MySQL, Port: port}, Want: false},
			Check{Name: "web of the stack in " + n.Namespace + " -> its own mysql:3306", Conn: Connection{From: n.Web, To: n.MySQL, Port: port}, Want: true})
	}
	return out
}
