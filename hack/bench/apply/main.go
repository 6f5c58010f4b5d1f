// Command apply benchmarks `kubectl stack apply` against kubectl's own
// ApplySet apply (`KUBECTL_APPLYSET=true kubectl apply --server-side --prune
// --applyset=...`) on the local cluster: into an empty cluster, and again
// with nothing changed; and the plugin's start-up (`kubectl-stack version`)
// against `kubectl version --client`. Each measured alternately in the same
// run. Run it through hack/bench/apply.sh, which brings the cluster up and
// removes it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl to compare with (default: $KUBECTL, else kubectl)")
	rounds := flag.Int("rounds", 3, "rounds of apply into an empty cluster, per tool")
	starts := flag.Int("starts", 20, "runs of each start-up")
	flag.Parse()
	b := &bench{kubeconfig: *kubeconfig, kubectl: *kubectl}
	if err := b.run(*rounds, *starts); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type bench struct {
	kubeconfig, kubectl, plugin string
}

const overlay = kit.Overlay

func (b *bench) run(rounds, starts int) error {
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-apply-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if b.plugin, err = kit.BuildPlugin(".", dir); err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("apply and start-up benchmark: %s, %d rounds; %s\n", overlay, rounds, host)
	if err := b.startup(starts); err != nil {
		return err
	}
	return b.apply(rounds)
}

func (b *bench) startup(n int) error {
	mine, theirs, err := kit.Compare(n, []string{b.plugin, "version"}, []string{b.kubectl, "version", "--client"})
	if err != nil {
		return err
	}
	return kit.Record(kit.TimedRow("start-up: kubectl-stack version", mine, theirs, "kubectl version --client", "<= 0.25x"))
}

// apply measures, per round and per tool, an apply into a cluster without
// the stack (its namespace created first: kubectl keeps its ApplySet parent
// there) and, once the stack's rollouts are done, two applies again with
// nothing changed: on a node still starting the stack's pods they would
// measure the node more than the tools. The tools take turns
// on a cleared cluster, since each labels the objects as members of its
// own ApplySet.
func (b *bench) apply(rounds int) error {
	mineApply := []string{b.plugin, "--kubeconfig", b.kubeconfig, "apply", "-k", overlay, "--wait=false"}
	kubectlApply := []string{"env", "KUBECTL_APPLYSET=true", b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace,
		"apply", "--server-side", "--prune", "--applyset=kubectl-bench", "-k", overlay}
	var mineEmpty, theirsEmpty, mineAgain, theirsAgain kit.Runs
	for i := 0; i < rounds; i++ {
		for _, side := range []struct {
			argv         []string
			empty, again *kit.Runs
		}{{mineApply, &mineEmpty, &mineAgain}, {kubectlApply, &theirsEmpty, &theirsAgain}} {
			if err := b.reset(); err != nil {
				return err
			}
			d, err := kit.Time(side.argv)
			if err != nil {
				return err
			}
			*side.empty = append(*side.empty, d)
			if err := b.settle(); err != nil {
				return err
			}
			for j := 0; j < 2; j++ {
				if d, err = kit.Time(side.argv); err != nil {
					return err
				}
				*side.again = append(*side.again, d)
			}
		}
	}
	kubectlWords := "KUBECTL_APPLYSET=true kubectl apply --server-side --prune --applyset"
	if err := kit.Record(kit.TimedRow("apply the dev overlay into an empty cluster", mineEmpty, theirsEmpty, kubectlWords, "<= 0.3x")); err != nil {
		return err
	}
	if err := b.reset(); err != nil {
		return err
	}
	return kit.Record(kit.TimedRow("apply again, nothing changed", mineAgain, theirsAgain, kubectlWords, "<= 0.2x"))
}

// settle waits until the stack's workloads have rolled out.
func (b *bench) settle() error {
	for _, w := range []string{"deployment/" + stack.Web.Name, "statefulset/" + stack.Database.Name, "daemonset/" + stack.Watcher.Name} {
		out, err := exec.Command(b.kubectl, "--kubeconfig", b.kubeconfig, "-n", stack.Namespace, "rollout", "status", w, "--timeout=5m").CombinedOutput()
		if err != nil {
			return fmt.Errorf("waiting for %s to roll out: %v: %s", w, err, out)
		}
	}
	return nil
}

// reset deletes the stack and waits for its namespace to go, then creates
// the namespace again, empty.
func (b *bench) reset() error {
	k := func(args ...string) ([]byte, error) {
		return exec.Command(b.kubectl, append([]string{"--kubeconfig", b.kubeconfig}, args...)...).CombinedOutput()
	}
	if out, err := k("delete", "-k", overlay, "--ignore-not-found", "--wait=true", "--timeout=3m"); err != nil {
		return fmt.Errorf("clearing the stack: %v: %s", err, out)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, _ := k("get", "namespace", stack.Namespace, "-o", "name", "--ignore-not-found")
		if strings.TrimSpace(string(out)) == "" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s still there after 3m", stack.Namespace)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if out, err := k("create", "namespace", stack.Namespace); err != nil {
		return fmt.Errorf("creating the namespace: %v: %s", err, out)
	}
	return nil
}
