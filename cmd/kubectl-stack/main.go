// Command kubectl-stack is the kubectl plugin: put it on PATH and run
// `kubectl stack`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-stack/kubectl-stack/pkg/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := cmd.NewCmdStack(streams).ExecuteContext(ctx)
	stop()
	os.Exit(cmd.HandleError(err, os.Stderr))
}
