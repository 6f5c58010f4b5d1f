// Command report turns the rows the benchmarks recorded (BENCH_RESULTS, one
// tab-separated row per line) into docs/benchmarks.md's table and a PNG
// chart of each ratio against its target.
//
//	go run ./hack/bench/report --in results.tsv --md docs/benchmarks.md --png docs/benchmarks.png
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	in := flag.String("in", "", "the recorded rows")
	md := flag.String("md", "docs/benchmarks.md", "the table, as Markdown")
	png := flag.String("png", "docs/benchmarks.png", "the chart of ratios")
	flag.Parse()
	if err := run(*in, *md, *png); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// row is one recorded figure.
type row struct {
	what, median, spread, anchor, anchorMedian, ratio, target string
}

func run(in, md, png string) error {
	rows, err := read(in)
	if err != nil {
		return err
	}
	table := markdown(rows)
	fmt.Print(table)
	if err := os.WriteFile(md, []byte(table), 0o644); err != nil {
		return err
	}
	return chart(rows, png)
}

func read(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("%s: %q is not a row of 7 fields", path, sc.Text())
		}
		rows = append(rows, row{f[0], f[1], f[2], f[3], f[4], f[5], f[6]})
	}
	return rows, sc.Err()
}

func markdown(rows []row) string {
	host, _ := os.Hostname()
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s (%d CPUs, %s/%s) by `make bench`; medians, spread as fastest..slowest.\n\n",
		time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	b.WriteString("| what | kubectl-stack | spread | anchor, measured beside it | anchor | ratio | target | met |\n|---|---|---|---|---|---|---|---|\n")
	cell := strings.NewReplacer("|", "\\|").Replace
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(r.what), r.median, r.spread, cell(r.anchor), r.anchorMedian, r.ratio, cell(r.target), met(r))
	}
	return b.String()
}

// ratioValue reads "0.66x" (or "p99 528ms", which is not a ratio: -1).
func ratioValue(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "x"), 64)
	if err != nil {
		return -1
	}
	return v
}

// targetValue reads the ratio a target allows: "<= 1.5x" or "... <= 0.3x".
func targetValue(s string) float64 {
	i := strings.LastIndex(s, "<= ")
	if i < 0 {
		return -1
	}
	return ratioValue(strings.TrimSpace(s[i+3:]))
}

func met(r row) string {
	if strings.HasPrefix(r.ratio, "p99 ") {
		d, err1 := time.ParseDuration(strings.TrimPrefix(r.ratio, "p99 "))
		limit, err2 := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(r.target, "p99 <=")))
		if err1 == nil && err2 == nil {
			return yes(d <= limit)
		}
		return "?"
	}
	if r.target == "report" {
		return "-" // a figure to know, not held to a bound
	}
	if limit, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(r.target, "<="))); err == nil && strings.HasPrefix(r.target, "<=") {
		// "<= 5s" bounds the median, a duration.
		d, err := time.ParseDuration(r.median)
		return yes(err == nil && d <= limit)
	}
	if n, ok := strings.CutSuffix(r.target, " rows"); ok {
		// "0 rows": the median is a count that must not exceed it.
		want, err1 := strconv.Atoi(n)
		got, err2 := strconv.Atoi(r.median)
		return yes(err1 == nil && err2 == nil && got <= want)
	}
	v, t := ratioValue(r.ratio), targetValue(r.target)
	if limit, ok := mibTarget(r.target); ok {
		// "<= 128 MiB" bounds the median alone; "<= 40 MiB and <= 0.3x"
		// the ratio too.
		mib, err := strconv.ParseFloat(strings.TrimSuffix(r.median, "MiB"), 64)
		return yes(err == nil && mib <= limit && (t < 0 || v <= t))
	}
	if v < 0 || t < 0 {
		return "?"
	}
	return yes(v <= t)
}

// mibTarget reads the memory a target allows: "<= 40 MiB ...".
func mibTarget(s string) (float64, bool) {
	f := strings.Fields(s)
	for i := 1; i+1 < len(f); i++ {
		if f[i-1] == "<=" && f[i+1] == "MiB" {
			v, err := strconv.ParseFloat(f[i], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}
