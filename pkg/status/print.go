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

// PrintOptions shape the table: Wide adds the flags column, Color marks
// good and bad cells (only for a terminal, never with NO_COLOR).
type PrintOptions struct {
	Wide  bool
	Color bool
}

// ANSI colours, as kubectl's own coloured output uses them.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	reset  = "\x1b[0m"
)

func (o PrintOptions) paint(color, s string) string {
	if !o.Color {
		return s
	}
	return color + s + reset
}

// Print writes the report as tables.
func (r *Report) Print(w io.Writer, o PrintOptions) error {
	header := []string{"COMPONENT", "POD", "NODE", "POD IP", "SERVING-HOST", "READY", "STATUS", "RESTARTS", "AGE"}
	if o.Wide {
		header = append(header, "FLAGS")
	}
	var rows [][]string
	for _, row := range r.Rows {
		rows = append(rows, o.line(row))
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
	fmt.Fprintf(w, "applyset:  %s\n", members(r.Members))
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning:   %s\n", o.paint(yellow, warning))
	}
	health := o.paint(green, "healthy")
	if !r.Healthy {
		health = o.paint(red, "NOT healthy")
	}
	_, err := fmt.Fprintf(w, "stack:     %s\n", health)
	return err
}

func (o PrintOptions) line(row Row) []string {
	status := o.paint(green, row.Status)
	if !row.Ready {
		status = o.paint(red, row.Status)
	}
	line := []string{row.Component, row.Pod, dash(row.Node), dash(row.PodIP), dash(row.ServingHost),
		strconv.FormatBool(row.Ready), status, strconv.Itoa(int(row.Restarts)), duration.HumanDuration(time.Since(row.Created))}
	if o.Wide {
		line = append(line, dash(strings.Join(row.Flags, "; ")))
	} else if len(row.Flags) > 0 {
		line[4] += o.paint(red, " (!)")
	}
	return line
}

func members(n int) string {
	if n < 0 {
		return "no ApplySet parent (applied without kubectl stack apply)"
	}
	return strconv.Itoa(n) + " objects"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
