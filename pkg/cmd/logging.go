package cmd

import (
	"flag"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// addLogFlags adds kubectl's -v flag. client-go logs retries and discovery
// failures through klog; at the default verbosity those lines would bury the
// one-line error the plugin prints, so they are shown only with -v.
func addLogFlags(cmd *cobra.Command) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	verbosity := fs.Lookup("v")
	cmd.PersistentFlags().AddGoFlag(verbosity)
	cmd.PersistentPreRun = func(*cobra.Command, []string) {
		if verbosity.Value.String() == "0" {
			_ = fs.Set("logtostderr", "false")
			_ = fs.Set("alsologtostderr", "false")
			_ = fs.Set("stderrthreshold", "FATAL")
			klog.SetOutput(io.Discard)
		}
	}
}
