package stack

import "fmt"

// NotDeployedError means the namespace lacks the part of the stack a verb
// needs. Every verb reports it the same way, and the command line maps it to
// one exit status (3), so a script can tell "not here" from "broken".
type NotDeployedError struct {
	Namespace string
	// Missing names what was looked for, e.g. "DaemonSet watcher".
	Missing string
}

func (e *NotDeployedError) Error() string {
	return fmt.Sprintf("no stack in namespace %q (no %s): deploy it with `kubectl stack apply`, or pass -n with the stack's namespace",
		e.Namespace, e.Missing)
}
