// Command kubectl-stack is the kubectl plugin: put it on PATH, with
// kubectl_stack-verbs beside it, and run `kubectl stack`. It links neither
// Kubernetes nor kubectl, so it starts in a few milliseconds: it answers
// `version` and `images push` of whole references itself and replaces
// itself with kubectl_stack-verbs for every other command line (package
// front).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-stack/kubectl-stack/pkg/front"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := front.Main(ctx, os.Args, front.Streams{Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
