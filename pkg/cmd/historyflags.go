package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
