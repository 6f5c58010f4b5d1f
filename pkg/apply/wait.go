package apply

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// pollInterval is how often Wait reads the objects it waits for.
const pollInterval = time.Second

// Wait blocks until kstatus calls every object Current (rollouts done, claims
// bound), printing a line to progress whenever an object's state changes.
// On timeout it names each object that is not ready and why.
func Wait(ctx context.Context, c *kube.Clients, s *Set, timeout time.Duration, progress io.Writer) error {
	objs := s.Objects
	pending := map[string]Object{}
	for _, o := range objs {
		pending[o.Ref()] = o
	}
	last := map[string]string{}
	var readErr error
	deadline := time.Now().Add(timeout)
	err := wait.PollUntilContextTimeout(ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		// In apply order, so the progress lines read top to bottom.
		for _, o := range objs {
			ref := o.Ref()
			if _, ok := pending[ref]; !ok {
				continue
			}
			res, err := readiness(ctx, c, o)
			if err != nil {
				readErr = err
				return false, err
			}
			if res.Status == status.CurrentStatus {
				delete(pending, ref)
				fmt.Fprintf(progress, "ready    %s\n", ref)
				continue
			}
			line := fmt.Sprintf("%s: %s", res.Status, res.Message)
			if last[ref] != line {
				last[ref] = line
				fmt.Fprintf(progress, "waiting  %s: %s\n", ref, line)
			}
		}
		return len(pending) == 0, nil
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return kube.Explain(ctx.Err())
	case readErr != nil && time.Now().Before(deadline):
		// Not the wait's timeout, which cuts a read short in ways of its
		// own (client-go's rate limiter: "would exceed context deadline"):
		// the objects could not be read (the API server went away, a
		// permission was lost).
		return fmt.Errorf("waiting for %s: %w", describe(pending, last), readErr)
	}
	return &NotReadyError{Timeout: timeout, Pending: describe(pending, last), Namespace: s.Namespace}
}

// NotReadyError says which applied objects did not become ready in time.
type NotReadyError struct {
	Timeout   time.Duration
	Pending   string
	Namespace string
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("timed out after %s waiting for %s; the pods and their events tell why (kubectl get pods,events -n %s)",
		e.Timeout, e.Pending, e.Namespace)
}

func readiness(ctx context.Context, c *kube.Clients, o Object) (*status.Result, error) {
	live, err := resourceClient(c, o).Get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.Ref(), kube.Explain(err))
	}
	res, err := status.Compute(live)
	if err != nil {
		return nil, fmt.Errorf("computing the status of %s: %w", o.Ref(), err)
	}
	return res, nil
}

func describe(pending map[string]Object, last map[string]string) string {
	var parts []string
	for ref := range pending {
		parts = append(parts, fmt.Sprintf("%s (%s)", ref, last[ref]))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
