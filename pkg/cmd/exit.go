package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The exit statuses of every verb, so a script can trust them. The README's
// table says the same; TestREADMEExitCodes keeps the two in step.
const (
	// ExitOK: success; the stack is healthy; every check holds; no differences.
	ExitOK = 0
	// ExitFailure: the verb failed; the stack is not healthy; a check
	// failed; diff found differences.
	ExitFailure = 1
	// ExitUsage: bad flags or arguments (nothing was done); any error of
	// diff, as kubectl diff.
	ExitUsage = 2
	// ExitNotDeployed: no stack (or not the part the verb needs) in the
	// namespace.
	ExitNotDeployed = 3
)

// ExitError carries the exit code a verb wants; Err may be nil when the code
// says all there is to say (diff found differences).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks bad flags or arguments.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: err}
}

// withStatus gives a verb's error its exit status: its own ExitError's, 3
// for a stack that is not there, else 1.
func withStatus(err error) error {
	var exit *ExitError
	if err == nil || errors.As(err, &exit) {
		return err
	}
	return &ExitError{Code: ExitCode(err), Err: err}
}

// Execute runs the command tree with args as a user would, prints the
// error as kubectl does and returns the exit status. Every verb returns
// its errors with their status (runVerb), so an error without one came
// from cobra's own checks before any verb ran (an unknown verb or flag, an
// argument count, a flag group): a usage error.
func Execute(ctx context.Context, streams genericiooptions.IOStreams, args []string) int {
	root := NewCmdStack(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var exit *ExitError
	if err != nil && !errors.As(err, &exit) {
		err = usageError(err)
	}
	return HandleError(err, streams.ErrOut)
}

// ExitCode maps an error to the exit status: an ExitError's own code, 3 for
// a stack that is not there, else 1.
func ExitCode(err error) int {
	var exit *ExitError
	var notDeployed *stack.NotDeployedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exit):
		return exit.Code
	case errors.As(err, &notDeployed):
		return ExitNotDeployed
	}
	return ExitFailure
}

// HandleError prints err as kubectl does ("error: ...") and returns the exit
// status.
func HandleError(err error, stderr io.Writer) int {
	var exit *ExitError
	if err != nil && (!errors.As(err, &exit) || exit.Err != nil) {
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	return ExitCode(err)
}
