package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/apply"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
)

// historyFlags are the flags of the verbs that record a revision.
type historyFlags struct {
	HistoryMax  int
	ForceUnlock bool
}

func (h *historyFlags) addFlags(cmd *cobra.Command) {
	h.HistoryMax = history.DefaultMax
	cmd.Flags().IntVar(&h.HistoryMax, "history-max", h.HistoryMax, "revisions kept in the stack's namespace, oldest deleted first (0: keep all)")
	cmd.Flags().BoolVar(&h.ForceUnlock, "force-unlock", false,
		"take the stack's lock from the apply or rollback that holds it (only when it died: two at once interleave their changes)")
}

func (h *historyFlags) validate() error {
	if h.HistoryMax < 0 {
		return fmt.Errorf("--history-max must be 0 (keep all) or more, got %d", h.HistoryMax)
	}
	return nil
}

func (h *historyFlags) historyOptions(a apply.Options, warn io.Writer) history.Options {
	return history.Options{Apply: a, Max: h.HistoryMax, ForceUnlock: h.ForceUnlock, Warn: warn}
}

// reportRevision tells w (stderr) which revision was recorded, so stdout stays
// the summary a script parses.
func reportRevision(w io.Writer, rev *history.Revision) {
	if rev != nil {
		fmt.Fprintf(w, "recorded revision %d (%s, %s)\n", rev.Number, rev.Description, rev.Status)
	}
}

// completeRevisions offers the revisions the cluster keeps, newest first,
// with what each was; none when the cluster cannot be read.
func completeRevisions(f cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		var t target
		if len(args) > 0 || t.connect(f) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		entries, err := history.NewStore(t.clients.Typed, t.namespace).List(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for i := len(entries) - 1; i >= 0; i-- {
			if r := entries[i].Revision; r != nil {
				out = append(out, fmt.Sprintf("%d\t%s, %s %s", r.Number, r.Description, r.Status, r.Time.Format("2006-01-02 15:04")))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}
