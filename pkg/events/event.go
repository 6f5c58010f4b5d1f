// Package events reads the watcher DaemonSet's pod-lifecycle lines from its
// pods' logs, merges them in time order and filters them. It knows nothing of
// cobra; pkg/cmd/events.go is its command line.
package events

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Event is one line the watcher writes.
type Event struct {
	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	UID       string    `json:"uid"`
	Node      string    `json:"node"`
	Phase     string    `json:"phase"`
	PodIP     string    `json:"podIP"`
	Changes   []string  `json:"changes,omitempty"`
}

// Types are the event kinds the watcher writes.
var Types = []string{"created", "updated", "deleted"}

// Parse reads one watcher line. Lines that are not pod events (the
// watcher's own messages) return ok=false.
func Parse(line string) (ev Event, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] != '{' {
		return Event{}, false, nil
	}
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		return Event{}, false, fmt.Errorf("not a watcher line: %w", err)
	}
	if ev.Event == "" || ev.Pod == "" {
		return Event{}, false, nil
	}
	return ev, true, nil
}

// Filter selects events.
type Filter struct {
	// Types keeps these event kinds; empty keeps all.
	Types []string
	// Pod keeps pods whose name matches; nil keeps all.
	Pod *regexp.Regexp
	// Node keeps events of one node; empty keeps all.
	Node string
	// Since drops events older than this time; zero keeps all.
	Since time.Time
}

// Match tells whether the filter keeps ev.
func (f Filter) Match(ev Event) bool {
	if len(f.Types) > 0 && !contains(f.Types, ev.Event) {
		return false
	}
	if f.Pod != nil && !f.Pod.MatchString(ev.Pod) {
		return false
	}
	if f.Node != "" && ev.Node != f.Node {
		return false
	}
	return f.Since.IsZero() || !ev.Time.Before(f.Since)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Text formats ev as one readable line: time, node, event, namespace/pod,
// phase, IP, changes.
func Text(ev Event) string {
	ip := ev.PodIP
	if ip == "" {
		ip = "-"
	}
	line := fmt.Sprintf("%s  %-14s %-8s %s/%s  %s  %s", ev.Time.UTC().Format(time.RFC3339),
		ev.Node, ev.Event, ev.Namespace, ev.Pod, orDash(ev.Phase), ip)
	if len(ev.Changes) > 0 {
		line += "  " + strings.Join(ev.Changes, "; ")
	}
	return line
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
