package cmd

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/events"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var eventsExample = templates.Examples(`
	# Every pod event the watcher has logged, oldest first
	kubectl stack events

	# Follow new events, also from watcher pods that start later; Ctrl-C ends it
	kubectl stack events -f

	# Deletions of web pods in the last 10 minutes, as JSON
	kubectl stack events --since 10m --type deleted --pod '^web-' -o json

	# One line per event with the pod's IP
	kubectl stack events -o jsonpath='{.pod} {.podIP}{"\n"}'`)

// EventsOptions are the flags and state of `kubectl stack events`.
type EventsOptions struct {
	*printFlags
	Follow bool
	Since  time.Duration
	Tail   int64
	Node   string
	Types  []string
	Pod    string

	filter events.Filter
	target
	genericiooptions.IOStreams
}

// NewCmdEvents returns `kubectl stack events`.
func NewCmdEvents(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &EventsOptions{printFlags: newPrintFlags(false), IOStreams: streams, Tail: -1}
	cmd := &cobra.Command{
		Use:   "events [-f] [--since DUR] [--tail N] [--node NAME] [--type created,updated,deleted] [--pod REGEX]",
		Short: "Show the pod lifecycle events the watcher DaemonSet logs",
		Long: templates.LongDesc(`
			Merge the logs of all watcher pods in time order: one line per pod created,
			updated (with what changed) or deleted. With -o each event is one document.
			Exit status: 0 success, 1 failed, 2 bad flags, 3 no watcher in the namespace.`),
		Example: eventsExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new events until Ctrl-C")
	fl.DurationVar(&o.Since, "since", 0, "only events newer than this, e.g. 5m or 1h")
	fl.Int64Var(&o.Tail, "tail", o.Tail, "only the last N events (-1: all)")
	fl.StringVar(&o.Node, "node", "", "only events of pods on this node")
	fl.StringSliceVar(&o.Types, "type", nil, "only these events: created, updated, deleted")
	fl.StringVar(&o.Pod, "pod", "", "only pods whose name matches this regular expression")
	o.printFlags.addFlags(cmd, tableFlags{})
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(events.Types, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete builds the printer.
func (o *EventsOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	return o.printFlags.complete()
}

// Validate checks the flags and builds the filter.
func (o *EventsOptions) Validate() error {
	o.filter = events.Filter{Types: o.Types, Node: o.Node}
	for _, t := range o.Types {
		if !slices.Contains(events.Types, t) {
			return fmt.Errorf("--type %q is not an event: use created, updated or deleted", t)
		}
	}
	if o.Since < 0 || o.Tail < -1 {
		return fmt.Errorf("--since and --tail must not be negative")
	}
	if o.Pod != "" {
		re, err := regexp.Compile(o.Pod)
		if err != nil {
			return fmt.Errorf("--pod %q is not a regular expression: %v", o.Pod, err)
		}
		o.filter.Pod = re
	}
	return nil
}

// Run prints the events.
func (o *EventsOptions) Run(ctx context.Context) error {
	opts := events.Options{Namespace: o.namespace, Follow: o.Follow, Filter: o.filter}
	if o.Since > 0 {
		secs := int64(o.Since.Seconds())
		opts.SinceSeconds = &secs
	}
	if o.Tail >= 0 {
		opts.TailLines = &o.Tail
	}
	return events.Read(ctx, o.clients.Typed, opts, func(ev events.Event) error {
		return o.print(o.Out, output{kind: kindPodEvent, data: ev, table: func(w io.Writer, _ table.Options) error {
			_, err := fmt.Fprintln(w, events.Text(ev))
			return err
		}})
	})
}
