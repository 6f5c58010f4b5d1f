// Package front is what the kubectl-stack binary runs: the command lines
// that need neither Kubernetes nor kubectl run here, in a binary that
// links neither (initialising them costs tens of milliseconds at every
// start, more than crane takes to start and exit), and every other one
// runs in the verbs binary installed beside it, which this process
// replaces itself with. It knows no cobra: a command line it does not
// recognise whole, flags and all, is the verbs binary's, which parses and
// explains it.
package front

import (
	"context"
	"fmt"
	"io"

	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

// VerbsBinary is the binary that runs every verb, beside kubectl-stack.
// Its name does not begin with "kubectl-", so kubectl takes no plugin
// from it.
const VerbsBinary = "kubectl_stack-verbs"

// The exit statuses this package returns, those of package cmd (a test
// there keeps them in step).
const (
	ExitOK      = 0
	ExitFailure = 1
)

// Streams are where output goes.
type Streams struct {
	Out, ErrOut io.Writer
}

// Main runs args (os.Args: the program, then its arguments) and returns
// the exit status; it returns only when it runs the command line itself
// or cannot start the verbs binary.
func Main(ctx context.Context, args []string, s Streams) int {
	switch rest := args[1:]; {
	case len(rest) == 1 && rest[0] == "version":
		fmt.Fprintln(s.Out, version.Line())
		return ExitOK
	default:
		if p, ok := parsePush(rest); ok {
			return p.run(ctx, s)
		}
	}
	if err := execVerbs(args); err != nil {
		fmt.Fprintf(s.ErrOut, "error: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}
