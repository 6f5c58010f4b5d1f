// Command localcluster runs hack/'s local cluster: a real control plane and
// one real node on this machine, built from the Go module proxy and Debian
// packages (hack/cluster-up.sh builds what it needs first).
//
//	go run ./hack/localcluster up     # clear leftovers, start, wait until ready
//	go run ./hack/localcluster down   # stop what up started, remove its state
//
// up prints the kubeconfig path. Binaries come from KUBECTL_STACK_BIN_DIR,
// images from KUBECTL_STACK_IMAGES_DIR. State lives in KUBECTL_STACK_STATE,
// default ~/.cache/kubectl-stack/cluster.
package main

import (
	"fmt"
	"os"

	"github.com/kubectl-stack/kubectl-stack/internal/localcluster"
)

func main() {
	if len(os.Args) != 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: localcluster up|down")
		os.Exit(2)
	}
	dir := localcluster.StateDir()
	var err error
	if os.Args[1] == "up" {
		var kubeconfig string
		if kubeconfig, err = localcluster.Up(dir); err == nil {
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
