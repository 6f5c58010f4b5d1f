package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
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
func NewCmdInit(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &InitOptions{From: "dev", IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "init DIR [--from dev|prod|dev-ha|prod-ha]",
		Short: "Write a folder you own: the manifests and a parameters file to edit",
		Long: templates.LongDesc(`
			Write DIR (new or empty) with base/, components/ and overlays/ as the plugin holds
			them, and params/FROM/kustomization.yaml: the parameters people change (namespace,
			web replicas, images, NodePort, database storage and node label, resources, and for
			prod the backup schedule and retention), each with a one-line comment, in plain
			Kustomize: no template language and no --set. Unchanged, it renders exactly what
			overlays/FROM renders. Nothing is written when DIR is a file or not empty.
			The cluster is not contacted, so -n is refused: the namespace is a parameter
			in the file.
			Exit status: 0 written, 1 the folder is a file, not empty or not writable, 2 bad flags.`),
		Example: initExample,
		Args:    positional(1, 1, "DIR, the folder to write"),
		RunE:    runVerb(f, o),
	}
	cmd.Flags().StringVar(&o.From, "from", o.From, "the overlay to start from: "+strings.Join(params.Sources, ", ")+" (-ha: the database as a Galera cluster)")
	_ = cmd.RegisterFlagCompletionFunc("from", cobra.FixedCompletions(params.Sources, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads DIR, and refuses -n: init writes files only, and a
// namespace given there would otherwise be silently ignored.
func (o *InitOptions) Complete(_ cmdutil.Factory, cmd *cobra.Command, args []string) error {
	if ns := cmd.Flags().Lookup("namespace"); ns != nil && ns.Changed {
		return fmt.Errorf("init writes files and contacts no cluster, so -n %s would do nothing: set the namespace in %s after init", ns.Value, paramsFile(args[0], o.From))
	}
	o.dir = args[0]
	return nil
}

// Validate checks the starting overlay.
func (o *InitOptions) Validate() error {
	if !slices.Contains(params.Sources, o.From) {
		return fmt.Errorf("--from %q is not an overlay to start from: use one of %s", o.From, strings.Join(params.Sources, ", "))
	}
	return nil
}

// Run writes the folder and says what to do next.
func (o *InitOptions) Run(context.Context) error {
	w, err := params.Init(o.dir, o.From)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.Out, "wrote %d files to %s\nparameters: %s/kustomization.yaml\napply with: kubectl stack apply -k %s\n",
		w.Files, w.Dir, w.Overlay, w.Overlay)
	return err
}

func paramsFile(dir, from string) string {
	return strings.TrimSuffix(dir, "/") + "/params/" + from + "/kustomization.yaml"
}
