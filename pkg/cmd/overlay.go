package cmd

import (
	"github.com/spf13/cobra"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
)

// overlayFlags are the flags of the verbs that read an overlay.
type overlayFlags struct {
	Kustomize string
}

func (o *overlayFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Kustomize, "kustomize", "k", "",
		"overlay folder to build (default: the dev overlay built into the plugin; overlays/dev and overlays/prod work without a checkout)")
	_ = cmd.MarkFlagDirname("kustomize")
}

// load builds the overlay against the target's cluster and namespace.
func (o *overlayFlags) load(t target) (*apply.Set, error) {
	return apply.Load(t.clients, o.Kustomize, t.namespace, t.explicit)
}
