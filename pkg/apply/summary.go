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

// Print writes the summary as a table and a line of totals; with
// NoHeaders the rows alone.
func (s *Summary) Print(w io.Writer, o table.Options) error {
	if err := s.writeTable(w, o); err != nil || o.NoHeaders {
		return err
	}
	c := s.Counts()
	suffix := ""
	if s.DryRun {
		suffix = " (server dry run: nothing was changed)"
	}
	kept := ""
	if c[Kept] > 0 {
		kept = fmt.Sprintf(", %d kept (the database's data left the overlay; it is never pruned: `delete --purge-data` deletes it)", c[Kept])
	}
	_, err := fmt.Fprintf(w, "%d created, %d configured, %d unchanged, %d pruned%s%s\n",
		c[Created], c[Configured], c[Unchanged], c[Pruned], kept, suffix)
	return err
}

// PrintDeleted writes a delete's summary: the table and what was kept.
func (s *Summary) PrintDeleted(w io.Writer, o table.Options) error {
	if err := s.writeTable(w, o); err != nil || o.NoHeaders {
		return err
	}
	c := s.Counts()
	suffix := ""
	if s.DryRun {
		suffix = " (server dry run: nothing was deleted)"
	}
	_, err := fmt.Fprintf(w, "%d deleted, %d kept (the database's data; --purge-data deletes it)%s\n", c[Deleted], c[Kept], suffix)
	return err
}

func (s *Summary) writeTable(w io.Writer, o table.Options) error {
	header := []string{"KIND", "NAMESPACE", "NAME", "RESULT"}
	if o.Wide {
		header = append(header, "APIVERSION")
	}
	rows := make([][]string, 0, len(s.Results))
	for _, r := range s.Results {
		ns := r.Namespace
		if ns == "" {
			ns = "-"
		}
		row := []string{r.Kind, ns, r.Name, string(r.Action)}
		if o.Wide {
			row = append(row, r.APIVersion)
		}
		rows = append(rows, row)
	}
	return table.Write(w, header, rows, o)
}
