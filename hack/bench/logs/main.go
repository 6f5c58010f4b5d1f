// Command logs benchmarks `kubectl stack logs --tail 100 all` against
// `kubectl logs -l app.kubernetes.io/part-of=kubectl-stack --tail 100
// --prefix --all-containers` on the same pods of the dev stack, alternately
// in one run. Run it through hack/bench/logs.sh.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/testrig/node"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the local cluster")
	kubectl := flag.String("kubectl", kit.Kubectl(), "the kubectl to compare with")
	rounds := flag.Int("rounds", 20, "runs of each")
	flag.Parse()
	if err := run(*kubeconfig, *kubectl, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubectl string, rounds int) error {
	dir, err := os.MkdirTemp("", "kubectl-stack-bench-logs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin, err := kit.BuildPlugin(".", dir)
	if err != nil {
		return err
	}
	if out, err := exec.Command(plugin, "--kubeconfig", kubeconfig, "apply", "-k", kit.Overlay, "--timeout=5m").CombinedOutput(); err != nil {
		return fmt.Errorf("applying the dev stack: %v: %s", err, out)
	}
	if err := fillWebLogs(); err != nil {
		return err
	}
	mine := []string{plugin, "--kubeconfig", kubeconfig, "logs", "all", "--tail", "100"}
	theirs := []string{kubectl, "--kubeconfig", kubeconfig, "-n", stack.Namespace, "logs", "-l", stack.LabelPartOf + "=kubectl-stack",
		"--tail", "100", "--prefix", "--all-containers"}
	fmt.Printf("logs benchmark: the dev stack's pods, %d rounds\n", rounds)
	m, k, err := kit.Compare(rounds, mine, theirs)
	if err != nil {
		return err
	}
	return kit.Record(kit.TimedRow("logs --tail 100 all (dev stack, every container)", m, k,
		"kubectl logs -l app.kubernetes.io/part-of=kubectl-stack --tail 100 --prefix --all-containers", "<= 1.0x"))
}

// fillWebLogs asks the NodePort enough times that every web pod has more
// than 100 lines.
func fillWebLogs() error {
	ip, err := node.PrimaryIP()
	if err != nil {
		return err
	}
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(stack.WebNodePort)) + "/"
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 600; i++ {
		resp, err := client.Get(url)
		if err != nil {
			return fmt.Errorf("asking the web tier: %w", err)
		}
		resp.Body.Close()
	}
	return nil
}
