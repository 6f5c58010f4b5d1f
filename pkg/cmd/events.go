package cmd

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/events"
)

var eventsExample = templates.Examples(`
	# Every pod event the watcher has logged, oldest first
	kubectl stack events

	# Follow new events, also from watcher pods that start later; Ctrl-C ends it
	kubectl stack events -f

	# Deletions of web pods in the last 10 minutes, as JSON lines
	kubectl stack events --since 10m --type deleted --pod '^web-' -o json`)

// EventsOptions are the flags and state of `kubectl stack events`.
type EventsOptions struct {
	Follow bool
	Since  time.Duration
	Tail   int64
	Node   string
	Types  []string
	Pod    string
	Output string

	factory cmdutil.Factory
	genericiooptions.IOStreams
}

// NewCmdEvents returns `kubectl stack events`.
func NewCmdEvents(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &EventsOptions{factory: f, IOStreams: streams, Tail: -1, Output: "text"}
	cmd := &cobra.Command{
		Use:     "events [-f] [--since DUR] [--tail N] [--node NAME] [--type created,updated,deleted] [--pod REGEX] [-o text|json]",
		Short:   "Show the pod lifecycle events the watcher DaemonSet logs",
		Long:    templates.LongDesc(`Merge the logs of all watcher pods in time order: one line per pod created, updated (with what changed) or deleted.`),
		Example: eventsExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := o.Validate()
			if err != nil {
				return err
			}
			return o.Run(cmd, filter)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new events until Ctrl-C")
	fl.DurationVar(&o.Since, "since", 0, "only events newer than this, e.g. 5m or 1h")
	fl.Int64Var(&o.Tail, "tail", o.Tail, "only the last N events (-1: all)")
	fl.StringVar(&o.Node, "node", "", "only events of pods on this node")
	fl.StringSliceVar(&o.Types, "type", nil, "only these events: created, updated, deleted")
	fl.StringVar(&o.Pod, "pod", "", "only pods whose name matches this regular expression")
	fl.StringVarP(&o.Output, "output", "o", o.Output, "text, or json for the watcher's own JSON lines")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(events.Types, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags and builds the filter.
func (o *EventsOptions) Validate() (events.Filter, error) {
	f := events.Filter{Types: o.Types, Node: o.Node}
	for _, t := range o.Types {
		if !slices.Contains(events.Types, t) {
			return f, fmt.Errorf("--type %q is not an event: use created, updated or deleted", t)
		}
	}
	if o.Output != "text" && o.Output != "json" {
		return f, fmt.Errorf("--output %q is not supported: use text or json", o.Output)
	}
	if o.Since < 0 || o.Tail < -1 {
		return f, fmt.Errorf("--since and --tail must not be negative")
	}
	if o.Pod != "" {
		re, err := regexp.Compile(o.Pod)
		if err != nil {
			return f, fmt.Errorf("--pod %q is not a regular expression: %v", o.Pod, err)
		}
		f.Pod = re
	}
	return f, nil
}

// Run prints the events.
func (o *EventsOptions) Run(cmd *cobra.Command, filter events.Filter) error {
	c, ns, err := namespacedClients(o.factory)
	if err != nil {
		return err
	}
	opts := events.Options{Namespace: ns, Follow: o.Follow, Filter: filter}
	if o.Since > 0 {
		secs := int64(o.Since.Seconds())
		opts.SinceSeconds = &secs
	}
	if o.Tail >= 0 {
		opts.TailLines = &o.Tail
	}
	return events.Read(cmd.Context(), c.Typed, opts, func(ev events.Event) error {
		line := events.Text(ev)
		if o.Output == "json" {
			line = ev.Raw
		}
		_, err := fmt.Fprintln(o.Out, line)
		return err
	})
}
