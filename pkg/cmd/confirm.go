package cmd

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"
)

// confirmation is the one rule of the verbs that destroy or stop the
// database's data (restore, delete --purge-data, restart database): on a
// terminal they ask; anywhere else only --yes lets them go on, and without
// it they refuse before any I/O, exit 2, as for any missing flag. An answer
// other than y or yes cancels: exit 1, nothing changed.
type confirmation struct {
	Yes bool
	// needed says the run at hand destroys or stops data (a dry run does not).
	needed bool
}

func (c *confirmation) addFlag(cmd *cobra.Command, before string) {
	cmd.Flags().BoolVarP(&c.Yes, "yes", "y", false, "do not ask before "+before)
}

// require says whether this run needs a confirmation, and refuses it when
// nobody can answer: no --yes and no terminal. It does no I/O, so a
// verb's Validate calls it.
func (c *confirmation) require(needed bool, in io.Reader, what string) error {
	c.needed = needed && !c.Yes
	if c.needed && !printers.IsTerminal(in) {
		return fmt.Errorf("%s: pass --yes to confirm without a terminal", what)
	}
	return nil
}

// ask puts question on errOut and reads the answer from in, when require
// said one is needed; cancelled names what did not happen.
func (c *confirmation) ask(in io.Reader, errOut io.Writer, question, cancelled string) error {
	if !c.needed {
		return nil
	}
	fmt.Fprintf(errOut, "%s [y/N] ", question)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s cancelled: nothing changed", cancelled)}
	}
	return nil
}
