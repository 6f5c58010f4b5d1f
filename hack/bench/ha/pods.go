package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/hack/bench/kit"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

const writerLabel = "kubectl-stack-bench/writer"

// writersPolicy lets the benchmark's writer pods reach the database on
// 3306 (the stack's own policies let in its web tier only).
var writersPolicy = fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bench-writers-to-mysql}
spec:
  podSelector: {matchLabels: {%s: %s, %s: %s}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {%q: "true"}}}]
      ports: [{port: %d}]
`, stack.LabelName, stack.Database.Name, stack.LabelInstance, stack.Instance, writerLabel, stack.MySQLPort)

// writerPod runs script with the database's client and root password,
// under Pod Security "restricted". Both tiers' writers run the HA tier's
// image: the same client for both.
func writerPod(name, secret, script string) string {
	indented := "          " + strings.ReplaceAll(script, "\n", "\n          ")
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, labels: {%q: "true"}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: writer
      image: %s
      imagePullPolicy: IfNotPresent
      command: [bash, -c]
      args:
        - |
%s
      env:
        - {name: MYSQL_PWD, valueFrom: {secretKeyRef: {name: %s, key: root-password}}}
        - {name: MYSQL_DATABASE, valueFrom: {secretKeyRef: {name: %s, key: database}}}
      securityContext:
        allowPrivilegeEscalation: false
        runAsNonRoot: true
        runAsUser: %d
        capabilities: {drop: [ALL]}
        seccompProfile: {type: RuntimeDefault}
`, name, writerLabel, stack.GaleraImage, indented, secret, secret, stack.DatabaseUID)
}

// sessionScript commits n rows in one session, each followed by the
// server's clock.
func sessionScript(n int) string {
	return fmt.Sprintf(`set -eu
# The policy that lets this pod in takes the network plugin a moment.
until mariadb --host=mysql --user=root --connect-timeout=2 -e "SELECT 1" >/dev/null 2>&1; do sleep 0.2; done
{ echo "CREATE TABLE IF NOT EXISTS bench_session (n INT PRIMARY KEY, v CHAR(32));"
  for i in $(seq 1 %d); do echo "INSERT INTO bench_session VALUES ($i, MD5($i)); SELECT UNIX_TIMESTAMP(NOW(6));"; done
} | mariadb --host=mysql --user=root --batch --skip-column-names --database="$MYSQL_DATABASE"`, n)
}

// writerScript commits a numbered row per connection until /tmp/stop
// exists, logging "committed N MILLIS" for each acknowledged commit.
func writerScript(name string) string {
	table := strings.ReplaceAll(name, "-", "_")
	return fmt.Sprintf(`set -u
sql() { mariadb --host=mysql --user=root --connect-timeout=2 --database="$MYSQL_DATABASE" -e "$1" 2>/dev/null; }
until sql "CREATE TABLE IF NOT EXISTS %[1]s (n INT PRIMARY KEY, at DATETIME(6))"; do sleep 0.2; done
i=1
while [ ! -e /tmp/stop ]; do
  if sql "INSERT IGNORE INTO %[1]s VALUES ($i, NOW(6))"; then echo "committed $i $(date +%%s%%3N)"; i=$((i + 1)); else sleep 0.1; fi
done`, table)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))]
}

func sum(d []time.Duration) time.Duration {
	var t time.Duration
	for _, x := range d {
		t += x
	}
	return t
}

func ratio(mine, theirs time.Duration) string {
	if theirs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(mine)/float64(theirs))
}

func round(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

// report prints the rows: the HA tier's figure, the single server's
// beside it as the anchor, their ratio.
func report(single, ha *tier, commits int) error {
	perSec := func(t *tier) string {
		return fmt.Sprintf("%.0f/s", float64(len(t.gaps))/sum(t.gaps).Seconds())
	}
	rows := []kit.Row{
		{What: fmt.Sprintf("HA commits, one session, %d rows: time", commits), Median: perSec(ha), Anchor: "the single server, same writer",
			AnchorMedian: perSec(single), Ratio: ratio(sum(ha.gaps), sum(single.gaps)), Target: "report"},
		{What: "HA commit latency p50", Median: round(percentile(ha.gaps, 0.5)), Anchor: "the single server, same writer",
			AnchorMedian: round(percentile(single.gaps, 0.5)), Ratio: ratio(percentile(ha.gaps, 0.5), percentile(single.gaps, 0.5)), Target: "report"},
		{What: "HA commit latency p99", Median: round(percentile(ha.gaps, 0.99)), Anchor: "the single server, same writer",
			AnchorMedian: round(percentile(single.gaps, 0.99)), Ratio: ratio(percentile(ha.gaps, 0.99), percentile(single.gaps, 0.99)), Target: "report"},
		{What: "HA longest pause in writes, a member's pod deleted", Median: round(ha.podLoss), Anchor: "the single server, its pod deleted",
			AnchorMedian: round(single.podLoss), Ratio: ratio(ha.podLoss, single.podLoss), Target: "<= 5s"},
		{What: "HA longest pause in writes, a member's server killed", Median: round(ha.killed), Anchor: "the single server, its server killed",
			AnchorMedian: round(single.killed), Ratio: ratio(ha.killed, single.killed), Target: "<= 30s"},
		{What: fmt.Sprintf("HA committed rows lost (of %d)", ha.wrote), Median: fmt.Sprint(ha.lost), Anchor: "the single server",
			AnchorMedian: fmt.Sprint(single.lost), Ratio: "-", Target: "0 rows"},
	}
	for _, r := range rows {
		if err := kit.Record(r); err != nil {
			return err
		}
	}
	return nil
}
