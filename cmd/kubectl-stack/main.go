// Command kubectl-stack is the kubectl plugin: put it on PATH and run
// `kubectl stack`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-stack/kubectl-stack/pkg/cmd"
)

// gcLimit is the heap at which the garbage collector starts. A verb's short
// life is mostly Kustomize's schema parse and the clients' set-up, which
// allocate much and keep little: collecting on the way cost a quarter of a
// no-op apply's CPU (docs/benchmarks.md). A command that runs long
// (--watch, -f) still collects, once it reaches the limit.
const gcLimit = 128 << 20

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(gcLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	code := cmd.Execute(ctx, streams, os.Args[1:])
	stop()
	os.Exit(code)
}
