package front

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// execVerbs runs the verbs binary with the same arguments, streams and
// environment, and exits with its status: Windows cannot replace a
// process. (Ctrl-C reaches both; this one waits for the other.)
func execVerbs(args []string) error {
	path, err := verbsPath()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("running %s: %w", path, err)
	}
	os.Exit(0)
	return nil
}
