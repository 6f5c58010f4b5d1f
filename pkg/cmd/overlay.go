package cmd

import (
	"github.com/spf13/cobra"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
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

// load builds the overlay and maps its objects onto the cluster's API.
func (o *overlayFlags) load(f cmdutil.Factory) (*kube.Clients, []apply.Object, error) {
	objs, err := build.Load(o.Kustomize)
	if err != nil {
		return nil, nil, err
	}
	c, err := kube.NewClients(f)
	if err != nil {
		return nil, nil, err
	}
	ns, explicit, err := stackNamespace(f)
	if err != nil {
		return nil, nil, err
	}
	mapped, err := apply.Map(objs, c.Mapper, ns)
	if err != nil {
		return nil, nil, err
	}
	if explicit {
		if err := apply.CheckNamespace(mapped, ns); err != nil {
			return nil, nil, err
		}
	}
	return c, mapped, nil
}
