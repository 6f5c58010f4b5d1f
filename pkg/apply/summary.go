package apply

import (
	"fmt"
	"io"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// Counts tallies the results by action.
func (s *Summary) Counts() map[Action]int {
	counts := map[Action]int{}
	for _, r := range s.Results {
		counts[r.Action]++
	}
	return counts
}

// Print writes the summary as a table and a line of totals.
func (s *Summary) Print(w io.Writer) error {
	if err := s.writeTable(w); err != nil {
		return err
	}
	c := s.Counts()
	suffix := ""
	if s.DryRun {
		suffix = " (server dry run: nothing was changed)"
	}
	_, err := fmt.Fprintf(w, "%d created, %d configured, %d unchanged, %d pruned%s\n",
		c[Created], c[Configured], c[Unchanged], c[Pruned], suffix)
	return err
}

// PrintDeleted writes a delete's summary: the table and what was kept.
func (s *Summary) PrintDeleted(w io.Writer) error {
	if err := s.writeTable(w); err != nil {
		return err
	}
	c := s.Counts()
	_, err := fmt.Fprintf(w, "%d deleted, %d kept (the database's data; --purge-data deletes it)\n", c[Deleted], c[Kept])
	return err
}

func (s *Summary) writeTable(w io.Writer) error {
	rows := make([][]string, 0, len(s.Results))
	for _, r := range s.Results {
		ns := r.Namespace
		if ns == "" {
			ns = "-"
		}
		rows = append(rows, []string{r.Kind, ns, r.Name, string(r.Action)})
	}
	return table.Write(w, []string{"KIND", "NAMESPACE", "NAME", "RESULT"}, rows)
}
