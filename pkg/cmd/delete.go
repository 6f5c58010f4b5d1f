package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

var deleteExample = templates.Examples(`
	# Remove the stack, keep the namespace, claims and volumes (the database's data)
	kubectl stack delete

	# Remove everything, the database's data included
	kubectl stack delete --purge-data`)

// DeleteOptions are the flags and state of `kubectl stack delete`.
type DeleteOptions struct {
	outputFlag
	overlayFlags
	PurgeData bool

	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdDelete returns `kubectl stack delete`.
func NewCmdDelete(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DeleteOptions{factory: f, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Remove the stack's objects; keep the database's data unless --purge-data",
		Long: templates.LongDesc(`
			Delete every member of the stack's ApplySet in reverse dependency order. The
			namespace, claims and volumes stay, so the next apply finds the data again;
			--purge-data deletes them too.`),
		Example: deleteExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.outputFlag.validate(); err != nil {
				return err
			}
			return o.Run(cmd)
		},
	}
	o.outputFlag.addFlag(cmd)
	cmd.Flags().StringVarP(&o.Kustomize, "kustomize", "k", "",
		"overlay whose namespace holds the stack (default: -n, else "+stack.Namespace+")")
	_ = cmd.MarkFlagDirname("kustomize")
	cmd.Flags().BoolVar(&o.PurgeData, "purge-data", false, "also delete the namespace, claims and volumes: the database's data is lost")
	return cmd
}

// Run deletes the stack in the overlay's namespace, or the one -n names
// (default k8s-assignment).
func (o *DeleteOptions) Run(cmd *cobra.Command) error {
	c, ns, err := o.target()
	if err != nil {
		return err
	}
	sum, err := apply.Delete(cmd.Context(), c, ns, apply.DeleteOptions{PurgeData: o.PurgeData})
	if err != nil && len(sum.Results) > 0 {
		fmt.Fprintf(o.ErrOut, "delete stopped after %d objects:\n", len(sum.Results))
		_ = sum.PrintDeleted(o.ErrOut)
	}
	if err != nil {
		return err
	}
	return o.print(o.Out, sum, sum.PrintDeleted)
}

// target returns the clients and the namespace whose stack to delete.
func (o *DeleteOptions) target() (*kube.Clients, string, error) {
	if o.Kustomize != "" {
		c, objs, err := o.load(o.factory)
		if err != nil {
			return nil, "", err
		}
		return c, apply.SetNamespace(objs), nil
	}
	return namespacedClients(o.factory)
}
