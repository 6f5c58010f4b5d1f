//go:build !windows

package front

import (
	"fmt"
	"os"
	"syscall"
)

// execVerbs replaces this process with the verbs binary, the same
// arguments (args[0] kept: messages name the program the user ran) and
// environment: its exit status, signals and terminal are the verbs
// binary's own. It returns only when it cannot.
func execVerbs(args []string) error {
	path, err := verbsPath()
	if err != nil {
		return err
	}
	if err := syscall.Exec(path, args, os.Environ()); err != nil {
		return fmt.Errorf("running %s: %w", path, err)
	}
	return nil
}
