package status

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// ANSI colours, as kubectl's own coloured output uses them.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	reset  = "\x1b[0m"
)

func paint(o table.Options, color, s string) string {
	if !o.Color {
		return s
	}
	return color + s + reset
}

// Print writes the report as tables: the pods, then storage, services,
// policies, warnings and the verdict. Wide adds the pods' flags; NoHeaders
// prints the pod rows alone, for scripts, as kubectl get --no-headers.
func (r *Report) Print(w io.Writer, o table.Options) error {
	header := []string{"COMPONENT", "POD", "NODE", "POD IP", "SERVING-HOST", "READY", "STATUS", "RESTARTS", "AGE"}
	if o.Wide {
		header = append(header, "FLAGS")
	}
	if o.ShowLabels {
		header = append(header, "LABELS")
	}
	var rows [][]string
	for _, row := range r.Rows {
		rows = append(rows, line(o, row))
	}
	if err := table.Write(w, header, rows, o); err != nil || o.NoHeaders {
		return err
	}
	fmt.Fprintln(w)
	for _, m := range r.Galera {
		fmt.Fprintf(w, "member:    %s\n", m)
	}
	for _, c := range r.Claims {
		fmt.Fprintf(w, "storage:   claim %s, volume %s, %s, bound=%v\n", c.Name, dash(c.Volume), dash(c.Capacity), c.Bound)
	}
	for _, s := range r.Services {
		line := fmt.Sprintf("service:   %s (%s %s) %s", s.Name, s.Type, s.IP, strings.Join(s.URLs, " "))
		fmt.Fprintln(w, strings.TrimSpace(line))
	}
	fmt.Fprintf(w, "policies:  %s\n", dash(strings.Join(r.Policies, ", ")))
	fmt.Fprintf(w, "applyset:  %s\n", members(r.Members))
	if r.Revision != nil {
		fmt.Fprintln(w, r.Revision.line())
	}
	if r.Binlog != nil {
		for _, l := range r.Binlog.lines() {
			fmt.Fprintln(w, l)
		}
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning:   %s\n", paint(o, yellow, warning))
	}
	health := paint(o, green, "healthy")
	if !r.Healthy {
		health = paint(o, red, "NOT healthy")
	}
	_, err := fmt.Fprintf(w, "stack:     %s\n", health)
	return err
}

func line(o table.Options, row Row) []string {
	status := paint(o, green, row.Status)
	if !row.Ready {
		status = paint(o, red, row.Status)
	}
	line := []string{row.Component, row.Pod, dash(row.Node), dash(row.PodIP), dash(row.ServingHost),
		strconv.FormatBool(row.Ready), status, strconv.Itoa(int(row.Restarts)), duration.HumanDuration(time.Since(row.Created))}
	if o.Wide {
		line = append(line, dash(strings.Join(row.Flags, "; ")))
	} else if len(row.Flags) > 0 {
		line[4] += paint(o, red, " (!)")
	}
	if o.ShowLabels {
		line = append(line, labels.FormatLabels(row.Labels))
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
