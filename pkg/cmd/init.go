package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/params"
)

var initExample = templates.Examples(`
	# A folder to keep in git, starting from the prod overlay; edit its parameters
	kubectl stack init ./stack --from prod
	$EDITOR ./stack/params/prod/kustomization.yaml

	# Review and apply it, or render it for GitOps
	kubectl stack diff -k ./stack/params/prod
	kubectl stack apply -k ./stack/params/prod
	kubectl kustomize ./stack/params/prod`)

// InitOptions are the flags and state of `kubectl stack init`.
type InitOptions struct {
	From string
	dir  string
	genericiooptions.IOStreams
}

// NewCmdInit returns `kubectl stack init`.
func NewCmdInit(streams genericiooptions.IOStreams) *cobra.Command {
	o := &InitOptions{From: "dev", IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "init DIR [--from dev|prod]",
		Short: "Write a folder you own: the manifests and a parameters file to edit",
		Long: templates.LongDesc(`
			Write DIR (new or empty) with base/, components/ and overlays/ as the plugin holds
			them, and params/FROM/kustomization.yaml: the parameters people change (namespace,
			web replicas, images, NodePort, database storage and node label, resources, and for
			prod the backup schedule and retention), each with a one-line comment, in plain
			Kustomize: no template language and no --set. Unchanged, it renders exactly what
			overlays/FROM renders. Nothing is written when DIR is a file or not empty.
			The cluster is not contacted.
			Exit status: 0 written, 1 the folder is a file, not empty or not writable, 2 bad flags.`),
		Example: initExample,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = args[0]
			if err := o.Validate(); err != nil {
				return usageError(err)
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.From, "from", o.From, "the overlay to start from: dev or prod")
	_ = cmd.RegisterFlagCompletionFunc("from", cobra.FixedCompletions(params.Sources, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the starting overlay.
func (o *InitOptions) Validate() error {
	for _, s := range params.Sources {
		if s == o.From {
			return nil
		}
	}
	return fmt.Errorf("--from %q is not an overlay to start from: use dev or prod", o.From)
}

// Run writes the folder and says what to do next.
func (o *InitOptions) Run(context.Context) error {
	w, err := params.Init(o.dir, o.From)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "wrote %d files to %s\nparameters: %s/kustomization.yaml\napply with: kubectl stack apply -k %s\n",
		w.Files, w.Dir, w.Overlay, w.Overlay)
	return nil
}
