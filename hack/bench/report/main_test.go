package main

import "testing"

func TestMetReadsRatiosTargetsAndLatencies(t *testing.T) {
	for _, c := range []struct {
		r    row
		want string
	}{
		{row{ratio: "0.66x", target: "<= 1.5x"}, "yes"},
		{row{ratio: "1.60x", target: "<= 1.5x"}, "NO"},
		{row{median: "38.6MiB", ratio: "0.29x", target: "<= 40 MiB and <= 0.3x"}, "yes"},
		{row{median: "41.0MiB", ratio: "0.29x", target: "<= 40 MiB and <= 0.3x"}, "NO"},
		{row{median: "38.6MiB", ratio: "0.31x", target: "<= 40 MiB and <= 0.3x"}, "NO"},
		{row{median: "104.0MiB", ratio: "2.10x", target: "<= 128 MiB"}, "yes"},
		{row{median: "130.0MiB", ratio: "0.90x", target: "<= 128 MiB"}, "NO"},
		{row{ratio: "p99 528ms", target: "p99 <= 1s"}, "yes"},
		{row{ratio: "p99 1.2s", target: "p99 <= 1s"}, "NO"},
		{row{median: "1.2s", ratio: "0.05x", target: "<= 5s"}, "yes"},
		{row{median: "6.1s", ratio: "0.25x", target: "<= 5s"}, "NO"},
		{row{median: "0", target: "0 rows"}, "yes"},
		{row{median: "2", target: "0 rows"}, "NO"},
		{row{median: "812/s", ratio: "1.40x", target: "report"}, "-"},
	} {
		if got := met(c.r); got != c.want {
			t.Errorf("met(%+v) = %s, want %s", c.r, got, c.want)
		}
	}
}
