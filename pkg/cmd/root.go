// Package cmd wires the plugin's verbs to cobra. Each verb follows kubectl's
// Options pattern (Complete, Validate, Run) and keeps its logic in a pkg/
// domain package that knows nothing of cobra.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
	"k8s.io/kubectl/pkg/util/templates"
)

var rootExample = templates.Examples(`
	# Deploy the stack (the dev overlay built into the plugin), wait until it is ready
	kubectl stack apply

	# Deploy an overlay from a checkout
	kubectl stack apply -k overlays/prod

	# Show what an apply would change; exits 1 when anything would
	kubectl stack diff -k overlays/prod

	# Remove the stack but keep the database's data
	kubectl stack delete`)

// NewCmdStack returns the root command, with kubectl's standard connection
// flags (--kubeconfig, --context, -n, ...) on every verb. Each verb is
// NewCmdX(f, streams) and its XOptions: Complete, Validate, Run (verb.go).
func NewCmdStack(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl-stack",
		Short: "Deploy and operate the MySQL + nginx + watcher stack",
		Long: templates.LongDesc(`
			kubectl stack deploys a three-tier stack (MySQL StatefulSet, 3-replica nginx
			web tier on NodePort 30080, pod-lifecycle watcher DaemonSet, NetworkPolicies)
			from Kustomize overlays, and operates it.`),
		Example: rootExample,
		// An unknown verb is a usage error (exit 2), as a bad flag is.
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// Shown in help and completion as kubectl shows plugins.
			cobra.CommandDisplayNameAnnotation: "kubectl stack",
		},
	}
	cmd.SetFlagErrorFunc(flagUsageError)
	addLogFlags(cmd)
	flags := genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().
		WithDiscoveryBurst(300).WithDiscoveryQPS(50).
		WithWrapConfigFn(raiseRateLimit)
	flags.AddFlags(cmd.PersistentFlags())
	f := cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags))
	registerGlobalCompletions(cmd, f)

	cmd.AddCommand(
		NewCmdApply(f, streams),
		NewCmdArchiveBinlogs(f, streams),
		NewCmdBackup(f, streams),
		NewCmdBackups(f, streams),
		NewCmdReport(f, streams),
		NewCmdRestart(f, streams),
		NewCmdRestore(f, streams),
		NewCmdRollback(f, streams),
		NewCmdDiff(f, streams),
		NewCmdDelete(f, streams),
		NewCmdEvents(f, streams),
		NewCmdHistory(f, streams),
		NewCmdImages(f, streams),
		NewCmdInit(streams),
		NewCmdLogs(f, streams),
		NewCmdMySQL(f, streams),
		NewCmdNetcheck(f, streams),
		NewCmdStatus(f, streams),
		NewCmdVersion(f, streams),
	)
	return cmd
}

// raiseRateLimit lifts client-go's default of 5 requests a second, which
// would make an apply of a few dozen objects wait on itself; the API server's
// own priority and fairness still protects it.
func raiseRateLimit(c *rest.Config) *rest.Config {
	c.QPS = 50
	c.Burst = 100
	return c
}

// registerGlobalCompletions completes -n from the cluster's namespaces and
// --context, --cluster and --user from the kubeconfig, with kubectl's own
// completion helpers, as kubectl does for its own commands.
func registerGlobalCompletions(cmd *cobra.Command, f cmdutil.Factory) {
	completion.SetFactoryForCompletion(f)
	for flag, fn := range map[string]cobra.CompletionFunc{
		"namespace": completion.ResourceNameCompletionFunc(f, "namespace"),
		"context":   completion.ContextCompletionFunc,
		"cluster":   completion.ClusterCompletionFunc,
		"user":      completion.UserCompletionFunc,
	} {
		cmdutil.CheckErr(cmd.RegisterFlagCompletionFunc(flag, fn))
	}
}
