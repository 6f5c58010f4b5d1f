package cmd

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/podlogs"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var logsExample = templates.Examples(`
	# The last 100 lines of every pod of the stack, merged in time order
	kubectl stack logs --tail 100

	# Follow the web tier, through a rollout (new pods join, old ones leave)
	kubectl stack logs web -f

	# The database's log before its last restart, as JSON lines
	kubectl stack logs database --previous -o json`)

// LogsOptions are the flags and state of `kubectl stack logs`.
type LogsOptions struct {
	*printFlags
	Follow    bool
	Since     time.Duration
	Tail      int64
	Container string
	Previous  bool

	selector string
	target
	genericiooptions.IOStreams
}

// NewCmdLogs returns `kubectl stack logs`.
func NewCmdLogs(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LogsOptions{printFlags: newPrintFlags(false), IOStreams: streams, Tail: -1}
	cmd := &cobra.Command{
		Use:   "logs [web|database|watcher|all]",
		Short: "The logs of a tier's pods (default: all), merged in time order, prefixed with the pod",
		Long: templates.LongDesc(`
			Read every container's log of the tier's pods (all: every pod of the stack, jobs and
			the binary log archiver too), merge the lines in time order by the kubelet's
			timestamps, and print each after its pod and container, coloured per pod on a
			terminal (never with NO_COLOR set). With -f follow them: pods that start later (a
			rollout) join, pods that go leave. -o json prints one object per line.
			Exit status: 0 read, 1 a log could not be read, 2 bad flags, 3 no stack in the
			namespace.`),
		Example:   logsExample,
		Args:      positional(0, 1, "a tier: web, database, watcher or all"),
		ValidArgs: append(stack.Tiers(), "all"),
		RunE:      runVerb(f, o),
	}
	o.printFlags.addFlags(cmd, tableFlags{})
	fl := cmd.Flags()
	fl.BoolVarP(&o.Follow, "follow", "f", false, "stream new lines until Ctrl-C")
	fl.DurationVar(&o.Since, "since", 0, "only lines newer than this, e.g. 5m")
	fl.Int64Var(&o.Tail, "tail", o.Tail, "only the last N lines of each container, and of the merge (-1: all)")
	fl.StringVarP(&o.Container, "container", "c", "", "one container by name (default: every container of the pods)")
	fl.BoolVarP(&o.Previous, "previous", "p", false, "the previous instance of each container (after a restart)")
	return cmd
}

// Complete reads the tier and builds the printer.
func (o *LogsOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.selector = labels.SelectorFromSet(labels.Set{stack.LabelInstance: stack.Instance}).String()
	if len(args) == 1 && args[0] != "all" {
		tier, err := stack.Tier(args[0])
		if err != nil {
			return fmt.Errorf("%w (or all)", err)
		}
		o.selector = labels.SelectorFromSet(tier.Selector()).String()
	}
	return o.printFlags.complete()
}

// Validate checks the flags.
func (o *LogsOptions) Validate() error {
	if o.Since < 0 || o.Tail < -1 {
		return fmt.Errorf("--since and --tail must not be negative")
	}
	if o.Follow && o.Previous {
		return fmt.Errorf("--previous reads logs that ended: it cannot be followed, drop -f")
	}
	return nil
}

// Run prints the lines.
func (o *LogsOptions) Run(ctx context.Context) error {
	src := podlogs.Source{Namespace: o.namespace, Selector: o.selector, Container: o.Container, Previous: o.Previous}
	if o.Since > 0 {
		secs := int64(o.Since.Seconds())
		src.SinceSeconds = &secs
	}
	if o.Tail >= 0 {
		src.TailLines = &o.Tail
	}
	color := printers.AllowsColorOutput(o.Out)
	sink := func(l podlogs.Line) error {
		return o.print(o.Out, output{kind: kindLogLine, data: l, table: func(w io.Writer, _ table.Options) error {
			_, err := fmt.Fprintf(w, "%s %s\n", prefix(l, color), l.Message)
			return err
		}})
	}
	if o.Follow {
		return podlogs.Follow(ctx, o.clients.Typed, src, sink)
	}
	n := 0
	err := podlogs.Read(ctx, o.clients.Typed, src, func(l podlogs.Line) error { n++; return sink(l) })
	if err == nil && n == 0 {
		return o.requirePods(ctx)
	}
	return err
}

// requirePods tells "no stack here" (exit 3) from logs that are empty.
func (o *LogsOptions) requirePods(ctx context.Context) error {
	pods, err := o.clients.Typed.CoreV1().Pods(o.namespace).List(ctx, metav1.ListOptions{LabelSelector: o.selector, Limit: 1})
	if err != nil {
		return kube.Explain(err)
	}
	if len(pods.Items) == 0 {
		return &stack.NotDeployedError{Namespace: o.namespace, Missing: "pod matching " + o.selector}
	}
	return nil
}

// podColors are stern's: one per pod, the same for a pod on every line.
var podColors = []string{"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", "\x1b[36m"}

func prefix(l podlogs.Line, color bool) string {
	p := l.Pod + " " + l.Container
	if !color {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(l.Pod))
	return podColors[h.Sum32()%uint32(len(podColors))] + l.Pod + "\x1b[0m " + l.Container
}
