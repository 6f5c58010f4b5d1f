package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/netcheck"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var netcheckExample = templates.Examples(`
	# Check the stack's NetworkPolicies against what it promises
	kubectl stack netcheck

	# Also try each connection from short-lived probe pods
	kubectl stack netcheck --live

	# May a pod with these labels in namespace shop reach mysql-0 on 3306? (exit 0 yes, 1 no)
	kubectl stack netcheck --from app=billing --from-namespace shop --to mysql-0 --port 3306`)

// NetcheckOptions are the flags and state of `kubectl stack netcheck`.
type NetcheckOptions struct {
	Live       bool
	ProbeImage string
	Query      netcheck.Query
	*printFlags

	target
	genericiooptions.IOStreams
}

// NewCmdNetcheck returns `kubectl stack netcheck`.
func NewCmdNetcheck(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &NetcheckOptions{printFlags: newPrintFlags(false), IOStreams: streams, ProbeImage: "busybox:1.36"}
	cmd := &cobra.Command{
		Use:   "netcheck [--live] | --from POD|LABELS --to POD|LABELS --port N[/PROTO]",
		Short: "Prove the NetworkPolicies: only the web tier reaches MySQL, only on 3306",
		Long: templates.LongDesc(`
			Evaluate the namespace's NetworkPolicies with the specification's semantics
			(selectors, namespaces, ipBlock, named ports, endPort, both directions, default
			allow where no policy selects a pod) for each of the stack's expectations, and
			print each verdict with the policy that decided it. --live also tries each
			connection from probe pods (like web, like another pod, in a temporary
			namespace), compares, and removes them. Exit status: 0 every expectation holds,
			1 one fails or the live network disagrees, 2 bad flags, 3 no stack. With
			--from/--to/--port: 0 allowed, 1 denied.`),
		Example: netcheckExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.Live, "live", false, "also try every connection from probe pods")
	fl.StringVar(&o.ProbeImage, "probe-image", o.ProbeImage, "image of the probe pods (needs sh, sleep and nc)")
	fl.StringVar(&o.Query.From, "from", "", "source: a pod name, or labels k=v[,k=v]")
	fl.StringVar(&o.Query.FromNamespace, "from-namespace", "", "namespace of --from (default: the stack's)")
	fl.StringVar(&o.Query.To, "to", "", "destination in the stack's namespace: a pod name, or labels k=v[,k=v]")
	fl.StringVar(&o.Query.Port, "port", "", "destination port, N or N/TCP|UDP|SCTP")
	o.printFlags.addFlags(cmd, tableFlags{wide: true, noHeaders: true})
	return cmd
}

// Complete builds the printer.
func (o *NetcheckOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks that a query is whole and not mixed with --live.
func (o *NetcheckOptions) Validate() error {
	q := o.Query
	given := q.From != "" || q.To != "" || q.Port != "" || q.FromNamespace != ""
	switch {
	case given && (q.From == "" || q.To == "" || q.Port == ""):
		return errors.New("a query needs --from, --to and --port together")
	case given && o.Live:
		return errors.New("--live checks the stack's expectations; leave out --from/--to/--port, or --live")
	case given:
		_, _, err := netcheck.ParsePort(q.Port)
		return err
	}
	return nil
}

// Run answers the query, or checks the expectations.
func (o *NetcheckOptions) Run(ctx context.Context) error {
	if o.Query.From != "" {
		return o.runQuery(ctx)
	}
	scene, err := netcheck.ReadScene(ctx, o.clients, o.namespace)
	if err != nil {
		return err
	}
	if scene.Note != "" {
		fmt.Fprintln(o.ErrOut, "netcheck: "+scene.Note)
	}
	checks := scene.Expectations()
	if o.Live {
		live := netcheck.LiveOptions{Namespace: o.namespace, Image: o.ProbeImage, Progress: o.ErrOut}
		if err := netcheck.RunLive(ctx, o.clients, scene, checks, live); err != nil {
			return err
		}
	}
	out := output{kind: kindNetworkCheck, data: checks, table: func(w io.Writer, to table.Options) error {
		return netcheck.Print(w, checks, o.Live, to)
	}}
	if err := o.print(o.Out, out); err != nil {
		return err
	}
	if n := netcheck.Unenforced(checks); n > 0 {
		fmt.Fprintln(o.ErrOut, "netcheck: "+netcheck.UnenforcedHint(n))
	}
	failed := 0
	for _, ch := range checks {
		if !ch.OK() {
			failed++
		}
	}
	if failed > 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d of %d network checks failed", failed, len(checks))}
	}
	return nil
}

func (o *NetcheckOptions) runQuery(ctx context.Context) error {
	q := o.Query
	q.ToNamespace = o.namespace
	if q.FromNamespace == "" {
		q.FromNamespace = o.namespace
	}
	check, err := q.Run(ctx, o.clients.Typed)
	if err != nil {
		return err
	}
	err = o.print(o.Out, output{kind: kindNetworkCheck, data: check, table: func(w io.Writer, _ table.Options) error {
		return netcheck.PrintAnswer(w, check)
	}})
	if err == nil && !check.Verdict.Allowed {
		return &ExitError{Code: ExitFailure}
	}
	return err
}
