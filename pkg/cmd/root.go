// Package cmd wires the plugin's verbs to cobra. Each verb follows kubectl's
// Options pattern (Complete, Validate, Run) and keeps its logic in a pkg/
// domain package that knows nothing of cobra.
package cmd

import (
	"fmt"
	"strings"

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

// The help's groups of verbs, as kubectl groups its own.
var verbGroups = []*cobra.Group{
	{ID: "deploy", Title: "Deploy and change the stack:"},
	{ID: "inspect", Title: "Inspect and troubleshoot:"},
	{ID: "backup", Title: "Backup and restore:"},
	{ID: "in-cluster", Title: "Run inside the cluster (by the stack's own workloads):"},
}

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
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		// A mistyped verb is answered with the verbs it may have meant.
		SuggestionsMinimumDistance: 2,
		Annotations: map[string]string{
			// Shown in help and completion as kubectl shows plugins.
			cobra.CommandDisplayNameAnnotation: "kubectl stack",
		},
	}
	// Help and cobra's own messages go where the verbs' output goes.
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	addLogFlags(cmd)
	flags := genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().
		WithDiscoveryBurst(300).WithDiscoveryQPS(50).
		WithWrapConfigFn(raiseRateLimit)
	flags.AddFlags(cmd.PersistentFlags())
	f := cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags))
	registerGlobalCompletions(cmd, f)

	cmd.AddGroup(verbGroups...)
	addVerbs(cmd, "deploy", NewCmdApply(f, streams), NewCmdDiff(f, streams), NewCmdHistory(f, streams),
		NewCmdRollback(f, streams), NewCmdRestart(f, streams), NewCmdRecover(f, streams), NewCmdDelete(f, streams),
		NewCmdInit(f, streams), NewCmdImages(f, streams))
	addVerbs(cmd, "inspect", NewCmdList(f, streams), NewCmdStatus(f, streams), NewCmdEvents(f, streams), NewCmdLogs(f, streams),
		NewCmdNetcheck(f, streams), NewCmdMySQL(f, streams), NewCmdReport(f, streams))
	addVerbs(cmd, "backup", NewCmdBackup(f, streams), NewCmdBackups(f, streams), NewCmdRestore(f, streams), NewCmdClone(f, streams))
	addVerbs(cmd, "in-cluster", NewCmdArchiveBinlogs(f, streams))
	cmd.AddCommand(NewCmdVersion(f, streams))
	refuseUnknownShells(cmd)
	return cmd
}

func addVerbs(root *cobra.Command, group string, verbs ...*cobra.Command) {
	for _, v := range verbs {
		v.GroupID = group
		root.AddCommand(v)
	}
}

// refuseUnknownShells makes `completion SHELL` of a shell cobra does not
// write for a usage error; cobra's own command prints its help and exits 0.
func refuseUnknownShells(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			var shells []string
			for _, s := range cmd.Commands() {
				shells = append(shells, s.Name())
			}
			return usageError(fmt.Errorf("completion %q: no script for that shell; use one of %s", args[0], strings.Join(shells, ", ")))
		}
	}
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
