package galera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// bootstrapRequest is the file start.sh waits for: a member that finds it
// bootstraps the cluster (components/galera/start.sh says the same).
const bootstrapRequest = "/var/run/mysqld/bootstrap-request"

// ErrRunning says a member runs in the primary component: there is a
// cluster, and nothing to recover.
var ErrRunning = errors.New("the cluster runs")

// Choice is the member a recovery bootstraps, and why.
type Choice struct {
	Member Member
	// Unread are the members whose state is not known: what only they
	// hold is lost when the cluster starts without them.
	Unread []string
}

// Why says why the member was chosen, for the question the user answers.
func (c Choice) Why() string {
	why := fmt.Sprintf("%s holds seqno %d, the highest of the members that answered", c.Member.Pod, c.Member.Seqno)
	if len(c.Unread) > 0 {
		why += fmt.Sprintf("; %s could not be read, and transactions only they hold would be lost", strings.Join(c.Unread, ", "))
	}
	return why
}

// Choose picks the waiting member with the most advanced state, or the one
// named by pod. It refuses when a member runs in the primary component
// (joining it is start.sh's to do), and when no member's state is known.
func Choose(members []Member, pod string) (Choice, error) {
	var c Choice
	var candidates []Member
	for _, m := range members {
		switch {
		case m.Synced() || m.State != "waiting" && m.Primary:
			return c, fmt.Errorf("%w: %s is %s in the primary component, and the others join it by themselves", ErrRunning, m.Pod, m.State)
		case m.State == "waiting" && m.Seqno >= 0:
			candidates = append(candidates, m)
		default:
			c.Unread = append(c.Unread, m.Pod)
		}
	}
	if len(candidates) == 0 {
		return c, fmt.Errorf("no member's data state is known (%s): nothing can be chosen safely", strings.Join(c.Unread, ", "))
	}
	// Highest seqno first; on a tie the lowest ordinal, as start.sh.
	slices.SortStableFunc(candidates, func(a, b Member) int {
		if a.Seqno != b.Seqno {
			return int(b.Seqno - a.Seqno)
		}
		return strings.Compare(a.Pod, b.Pod)
	})
	c.Member = candidates[0]
	if pod == "" {
		return c, nil
	}
	for _, m := range candidates {
		if m.Pod == pod {
			c.Member = m
			return c, nil
		}
	}
	return c, fmt.Errorf("--member %s is not a waiting member with a known state: choose one of %s", pod, pods(candidates))
}

func pods(members []Member) string {
	var out []string
	for _, m := range members {
		out = append(out, m.Pod)
	}
	return strings.Join(out, ", ")
}

// Bootstrap asks start.sh of pod to bootstrap the cluster.
func Bootstrap(ctx context.Context, clients *kube.Clients, ns, pod string) error {
	err := clients.Exec(ctx, ns, pod, stack.MySQLContainer, []string{"touch", bootstrapRequest}, nil, io.Discard, io.Discard)
	if err != nil {
		return fmt.Errorf("asking %s to bootstrap: %w", pod, kube.Explain(err))
	}
	return nil
}

// WaitSynced waits until want members are Synced in the primary
// component, printing each member's state when it changes, and returns the
// members as they were then.
func WaitSynced(ctx context.Context, clients *kube.Clients, ns string, want int, timeout time.Duration, progress io.Writer) ([]Member, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	said := map[string]string{}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		members, err := Read(ctx, clients, ns)
		if err != nil {
			return nil, err
		}
		synced := 0
		for _, m := range members {
			if m.Synced() {
				synced++
			}
			if line := m.String(); said[m.Pod] != line {
				fmt.Fprintf(progress, "member %s\n", line)
				said[m.Pod] = line
			}
		}
		if synced >= want {
			return members, nil
		}
		select {
		case <-ctx.Done():
			return members, fmt.Errorf("%d of %d members Synced after %s: see kubectl stack status", synced, want, timeout)
		case <-tick.C:
		}
	}
}
