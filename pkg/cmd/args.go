package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
)

// noArgs refuses positional arguments; on a command with subcommands an
// argument is a mistyped verb, answered as kubectl answers one: with the
// verbs it may have meant.
func noArgs(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case cmd.HasSubCommands():
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += ": did you mean " + strings.Join(s, " or ") + "?"
		}
		return fmt.Errorf("%s (see '%s --help')", msg, cmd.CommandPath())
	}
	return fmt.Errorf("%s takes no arguments, got %s (see '%s --help')", cmd.CommandPath(), quoted(args), cmd.CommandPath())
}

// positional accepts min to max arguments; what names them for the
// message, as the verb's usage line does ("DIR, the folder to write").
func positional(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		usage := strings.TrimSuffix(cmd.UseLine(), " [flags]")
		switch {
		case len(args) < min:
			return fmt.Errorf("%s needs %s (usage: %s)", cmd.CommandPath(), what, usage)
		case len(args) > max:
			return fmt.Errorf("%s takes %s, got %d arguments: %s (usage: %s)", cmd.CommandPath(), atMost(min, max, what), len(args), quoted(args), usage)
		}
		return nil
	}
}

func atMost(min, max int, what string) string {
	switch {
	case min == max:
		return what + " only"
	case max == 1:
		return "at most one argument, " + what
	}
	return fmt.Sprintf("at most %d arguments, %s", max, what)
}

func quoted(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

// checkConnectionFlags checks the kubectl flags whose bad values client-go
// reports only later, and as something else: a --request-timeout it cannot
// parse as an unreadable kubeconfig, a malformed -n as an unreachable
// cluster.
func checkConnectionFlags(cmd *cobra.Command) error {
	if f := cmd.Flags().Lookup("request-timeout"); f != nil && f.Changed {
		if err := checkRequestTimeout(f.Value.String()); err != nil {
			return err
		}
	}
	if f := cmd.Flags().Lookup("namespace"); f != nil && f.Changed && f.Value.String() != "" {
		if errs := validation.IsDNS1123Label(f.Value.String()); len(errs) > 0 {
			return fmt.Errorf("-n %q is not a namespace name: %s", f.Value.String(), errs[0])
		}
	}
	return nil
}

// checkRequestTimeout accepts what client-go accepts: whole seconds, or a
// duration with its unit; 0 is no timeout.
func checkRequestTimeout(v string) error {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return nil
	}
	return fmt.Errorf("--request-timeout %q is not a duration: give whole seconds or a number with a unit, such as 30s, 2m or 1h (0: no timeout)", v)
}
