// Command localcluster runs hack/'s local cluster: a real control plane and
// one real node on this machine, built from the Go module proxy and Debian
// packages (hack/local/up.sh builds what it needs first).
//
//	go run ./hack/local/cluster up     # clear leftovers, start, wait until ready
//	go run ./hack/local/cluster up 2   # the same, plus 2 kwok-simulated nodes
//	go run ./hack/local/cluster down   # stop what up started, remove its state
//
// up prints the kubeconfig path. Binaries come from KUBECTL_STACK_BIN_DIR,
// images from KUBECTL_STACK_IMAGES_DIR. State lives in KUBECTL_STACK_STATE,
// default ~/.cache/kubectl-stack/cluster.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/kubectl-stack/kubectl-stack/testrig/localcluster"
)

func main() {
	simulated, ok := parse(os.Args[1:])
	if !ok {
		fmt.Fprintln(os.Stderr, "usage: localcluster up [SIMULATED-NODES] | down")
		os.Exit(2)
	}
	dir := localcluster.StateDir()
	var err error
	if os.Args[1] == "up" {
		var kubeconfig string
		if kubeconfig, err = localcluster.Up(dir, localcluster.DataDir); err == nil && simulated > 0 {
			_, err = localcluster.AddSimulatedNodes(context.Background(), dir, simulated)
		}
		if err == nil {
			fmt.Println(kubeconfig)
		}
	} else {
		err = localcluster.Down(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// parse reads "up [N]" or "down".
func parse(args []string) (simulated int, ok bool) {
	switch {
	case len(args) == 1 && (args[0] == "up" || args[0] == "down"):
		return 0, true
	case len(args) == 2 && args[0] == "up":
		n, err := strconv.Atoi(args[1])
		return n, err == nil && n >= 0
	}
	return 0, false
}
