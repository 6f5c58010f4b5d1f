package status

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// Print writes the report as tables; wide adds the flags column.
func (r *Report) Print(w io.Writer, wide bool) error {
	header := []string{"COMPONENT", "POD", "NODE", "POD IP", "SERVING-HOST", "READY", "STATUS", "RESTARTS", "AGE"}
	if wide {
		header = append(header, "FLAGS")
	}
	var rows [][]string
	for _, row := range r.Rows {
		line := []string{row.Component, row.Pod, dash(row.Node), dash(row.PodIP), dash(row.ServingHost),
			strconv.FormatBool(row.Ready), row.Status, strconv.Itoa(int(row.Restarts)), duration.HumanDuration(time.Since(row.Created))}
		if wide {
			line = append(line, dash(strings.Join(row.Flags, "; ")))
		} else if len(row.Flags) > 0 {
			line[4] += " (!)"
		}
		rows = append(rows, line)
	}
	if err := table.Write(w, header, rows); err != nil {
		return err
	}
	for _, c := range r.Claims {
		fmt.Fprintf(w, "\nstorage:   claim %s, volume %s, %s, bound=%v\n", c.Name, dash(c.Volume), dash(c.Capacity), c.Bound)
	}
	for _, s := range r.Services {
		line := fmt.Sprintf("service:   %s (%s %s) %s", s.Name, s.Type, s.IP, strings.Join(s.URLs, " "))
		fmt.Fprintln(w, strings.TrimSpace(line))
	}
	fmt.Fprintf(w, "policies:  %s\n", dash(strings.Join(r.Policies, ", ")))
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning:   %s\n", warning)
	}
	health := "healthy"
	if !r.Healthy {
		health = "NOT healthy"
	}
	_, err := fmt.Fprintf(w, "stack:     %s\n", health)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
