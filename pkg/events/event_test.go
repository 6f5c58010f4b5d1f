package events

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

const created = `{"time":"2026-11-25T23:00:00.5Z","level":"INFO","msg":"pod created","event":"created","namespace":"k8s-assignment","pod":"web-1","uid":"u1","node":"stack-node","phase":"Pending","podIP":""}`
const updated = `{"time":"2026-11-25T23:00:01Z","level":"INFO","msg":"pod updated","event":"updated","namespace":"k8s-assignment","pod":"web-1","uid":"u1","node":"stack-node","phase":"Running","podIP":"10.244.0.3","changes":["phase: Pending -> Running","ready: false -> true"]}`

func TestParse(t *testing.T) {
	ev, ok, err := Parse(updated)
	if err != nil || !ok {
		t.Fatalf("Parse: ok=%v err=%v", ok, err)
	}
	want := Event{Event: "updated", Namespace: "k8s-assignment", Pod: "web-1", UID: "u1", Node: "stack-node",
		Phase: "Running", PodIP: "10.244.0.3"}
	if ev.Event != want.Event || ev.Pod != want.Pod || ev.PodIP != want.PodIP || len(ev.Changes) != 2 ||
		!ev.Time.Equal(time.Date(2026, 11, 25, 23, 0, 1, 0, time.UTC)) {
		t.Fatalf("Parse = %+v", ev)
	}
	for _, line := range []string{"", "plain text", `{"level":"INFO","msg":"informer synced"}`} {
		if _, ok, err := Parse(line); ok || err != nil {
			t.Errorf("Parse(%q) = ok %v, err %v; want a skipped line", line, ok, err)
		}
	}
	if _, _, err := Parse(`{"event":`); err == nil {
		t.Error("a broken JSON line parsed")
	}
}

func TestFilter(t *testing.T) {
	c, _, _ := Parse(created)
	u, _, _ := Parse(updated)
	cases := []struct {
		f            Filter
		wantC, wantU bool
	}{
		{Filter{}, true, true},
		{Filter{Types: []string{"updated"}}, false, true},
		{Filter{Pod: regexp.MustCompile("^web-")}, true, true},
		{Filter{Pod: regexp.MustCompile("^mysql")}, false, false},
		{Filter{Node: "other"}, false, false},
		{Filter{Since: time.Date(2026, 11, 25, 23, 0, 1, 0, time.UTC)}, false, true},
	}
	for i, tc := range cases {
		if tc.f.Match(c) != tc.wantC || tc.f.Match(u) != tc.wantU {
			t.Errorf("case %d: Match(created)=%v Match(updated)=%v, want %v %v", i, tc.f.Match(c), tc.f.Match(u), tc.wantC, tc.wantU)
		}
	}
}

func TestText(t *testing.T) {
	u, _, _ := Parse(updated)
	got := Text(u)
	for _, want := range []string{"2026-11-25T23:00:01Z", "stack-node", "updated", "k8s-assignment/web-1", "Running", "10.244.0.3", "phase: Pending -> Running; ready: false -> true"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text = %q, lacks %q", got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{created, updated, "", "{", `{"event":"x","pod":"p","time":"bad"}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev, ok, err := Parse(line)
		if ok && (err != nil || ev.Event == "" || ev.Pod == "") {
			t.Fatalf("Parse(%q) = %+v, %v, %v", line, ev, ok, err)
		}
	})
}
