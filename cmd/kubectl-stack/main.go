// Command kubectl-stack is the kubectl plugin: put it on PATH and run
// `kubectl stack`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	// First of the plugin's own packages, so its init runs before the
	// heavy ones (see the package).
	_ "github.com/kubectl-stack/kubectl-stack/pkg/startup"

	"github.com/kubectl-stack/kubectl-stack/pkg/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	code := cmd.Execute(ctx, streams, os.Args[1:])
	stop()
	os.Exit(code)
}
