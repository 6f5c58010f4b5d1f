// Command kubectl_stack-verbs runs every verb of the plugin. It links
// Kubernetes and kubectl, which cost tens of milliseconds to initialise at
// every start, so users run it through kubectl-stack, installed beside it,
// which answers what needs neither (version, images push) by itself and
// replaces itself with this binary for the rest (package front). Its name
// does not begin with "kubectl-": kubectl takes no plugin from it.
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
