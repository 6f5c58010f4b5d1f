package binlog

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Window is a span of time a point-in-time restore reaches: from the end
// of Backup, the oldest verified backup it starts from, to the newest
// event archived without a gap after it.
type Window struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Backup string    `json:"backup"`
}

func (w Window) String() string {
	return fmt.Sprintf("%s to %s (from backup %s)", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339), w.Backup)
}

// usable says a backup can start a point-in-time restore: complete,
// its restore test passed, and its binary log coordinates recorded. A
// backup dumped from another member than the first has coordinates in
// that member's logs: usable when the member names its logs after itself
// (the HA tier does), as the archive then tells them apart; under the
// name every member once shared, the same names and offsets held other
// bytes on each.
func usable(e *backup.Entry) bool {
	if !e.Complete() || !e.Verified() || e.Manifest.Binlog == nil {
		return false
	}
	pod := e.Manifest.Server.Pod
	return pod == "" || pod == stack.MySQLPod || strings.HasPrefix(e.Manifest.Binlog.File, pod+"-bin.")
}

func coordinates(e *backup.Entry) Position {
	return Position{File: e.Manifest.Binlog.File, Pos: e.Manifest.Binlog.Pos}
}

// Windows are the spans a point-in-time restore reaches, oldest first:
// one per stretch of the archive that a usable backup starts in.
func Windows(a *Archive, cat *backup.Catalog) []Window {
	var out []Window
	seen := map[int]int{}
	for i := range cat.Backups {
		e := &cat.Backups[i]
		if !usable(e) {
			continue
		}
		at, seg := a.segmentAt(coordinates(e))
		if seg == nil {
			continue
		}
		last := a.reach(at).Last
		if j, ok := seen[at]; ok {
			out[j].To = later(out[j].To, last)
			continue
		}
		seen[at] = len(out)
		out = append(out, Window{From: e.Manifest.Finished, To: later(e.Manifest.Finished, last), Backup: e.ID})
	}
	return out
}

func describe(ws []Window) string {
	if len(ws) == 0 {
		return "no point in time is recoverable yet (it needs a verified backup taken while the archiver ran: `kubectl stack backup --to LOCATION`, then `kubectl stack backup verify`)"
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.String()
	}
	return "recoverable: " + strings.Join(parts, "; ")
}
