package cmd

import (
	"errors"
	"fmt"
	"io"
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

// HandleError prints err as kubectl does ("error: ...") and returns the exit
// code: an ExitError's own code, else 1.
func HandleError(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintf(stderr, "error: %v\n", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	return 1
}
