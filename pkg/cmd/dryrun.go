package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// addDryRunFlag adds kubectl's --dry-run with the values the plugin has:
// "none" and "server" (a client dry run could not see the cluster).
func addDryRunFlag(cmd *cobra.Command, value *string, usage string) {
	cmd.Flags().StringVar(value, "dry-run", "none", usage)
	_ = cmd.RegisterFlagCompletionFunc("dry-run", cobra.FixedCompletions([]string{"none", "server"}, cobra.ShellCompDirectiveNoFileComp))
}

func validateDryRun(value string) error {
	if value != "none" && value != "server" {
		return fmt.Errorf("--dry-run=%s is not supported: use --dry-run=server (client dry runs cannot see the cluster)", value)
	}
	return nil
}
