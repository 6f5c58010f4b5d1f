package netcheck

import (
	"fmt"
	"io"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// Print writes the checks as a table; live adds the probe's column, and
// o.Wide the connection each check tried.
func Print(w io.Writer, checks []Check, live bool, o table.Options) error {
	header := []string{"CHECK", "EXPECTED", "POLICIES SAY", "RESULT"}
	if live {
		header = append(header, "LIVE")
	}
	header = append(header, "DECIDED BY")
	if o.Wide {
		header = append(header, "FROM", "TO", "PORT")
	}
	var rows [][]string
	for _, c := range checks {
		row := []string{c.Name, word(c.Want), word(c.Verdict.Allowed), result(c)}
		if live {
			row = append(row, liveWord(c.Live))
		}
		row = append(row, c.Verdict.Reason)
		if o.Wide {
			row = append(row, endpointName(c.Conn.From), endpointName(c.Conn.To), fmt.Sprintf("%d/%s", c.Conn.Port, c.Conn.Protocol))
		}
		rows = append(rows, row)
	}
	return table.Write(w, header, rows, o)
}

// endpointName names a pod namespace/name, or an address outside the cluster.
func endpointName(e Endpoint) string {
	if e.Namespace == "" {
		return e.Name
	}
	return e.Namespace + "/" + e.Name
}

// PrintAnswer writes a free query's answer on one line.
func PrintAnswer(w io.Writer, c Check) error {
	_, err := fmt.Fprintf(w, "%s: %s (%s)\n", c.Name, word(c.Verdict.Allowed), c.Verdict.Reason)
	return err
}

func word(allowed bool) string {
	if allowed {
		return "ALLOW"
	}
	return "DENY"
}

func result(c Check) string {
	switch {
	case c.Verdict.Allowed != c.Want:
		return "FAIL"
	case !c.LiveAgrees():
		return "MISMATCH"
	}
	return "ok"
}

func liveWord(p *Probe) string {
	switch {
	case p == nil:
		return "-"
	case p.Skipped != "":
		return "not probed: " + p.Skipped
	case p.Inconclusive():
		return "refused (nothing listens, or a policy rejects)"
	case p.Result == "rejected":
		return "rejected (the port listens for others)"
	}
	return p.Result
}
