// Package table prints kubectl-style tables: upper-case headers, no borders,
// columns padded with spaces, so output reads like `kubectl get`.
package table

import (
	"bytes"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Options are kubectl's flags for tables, shared by every verb that prints one.
type Options struct {
	// Wide adds the columns -o wide shows.
	Wide bool
	// NoHeaders leaves out the header row (--no-headers).
	NoHeaders bool
	// ShowLabels adds a LABELS column where the rows are objects (--show-labels).
	ShowLabels bool
	// Color marks good and bad cells: only on a terminal, never with NO_COLOR.
	Color bool
}

// Write renders header and rows to w; with NoHeaders the header row is left
// out but still sizes nothing, as kubectl get --no-headers.
func Write(w io.Writer, header []string, rows [][]string, o Options) error {
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.SeparatorsNone,
				Lines:      tw.LinesNone,
			},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		// Headers are written as they should read ("SERVING-HOST", "POD IP").
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithPadding(tw.Padding{Right: "   ", Overwrite: true}),
	)
	if !o.NoHeaders {
		t.Header(toAny(header)...)
	}
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	return trimLines(w, buf.Bytes())
}

// trimLines drops the padding tablewriter leaves after the last column.
func trimLines(w io.Writer, data []byte) error {
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		trimmed := bytes.TrimRight(line, " \n")
		if len(trimmed) == 0 && len(line) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s\n", trimmed); err != nil {
			return err
		}
	}
	return nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
