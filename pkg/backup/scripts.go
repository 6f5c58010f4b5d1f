package backup

import (
	"strconv"
	"strings"
)

// credentials writes the root credentials from the container's own
// environment to a private option file, so they never appear on a command
// line or in a process list (printf is a shell builtin; sed reads the
// password from a pipe). Every script starts with it and passes "$cnf" as
// the first option of the client it runs.
const credentials = `set -e
umask 077
cnf=/tmp/.kubectl-stack-$$.cnf
trap 'rm -f "$cnf"' EXIT
pw=$(printf '%s' "$MYSQL_ROOT_PASSWORD" | sed 's/[\\"]/\\&/g')
printf '[client]\nuser=root\npassword="%s"\n' "$pw" > "$cnf"
unset pw
`

// systemSchemas are MySQL's own; everything else is the user's.
var systemSchemas = []string{"mysql", "information_schema", "performance_schema", "sys"}

// dumpScript dumps the named databases, or every user database when none
// is named, consistently (one transaction) with routines, triggers and
// events, and, when the server writes binary logs, their coordinates at
// the snapshot (a comment near the top). It fails when there is nothing
// to dump. When the container has
// gzip, the dump leaves it compressed with gzip -1: the exec stream, at
// about 30 MB/s, is slower than mysqldump and gzip -1 together. A FIFO
// keeps mysqldump's exit status, which a pipe in sh would lose.
func dumpScript(databases []string) string {
	list := `set -- $(mysql --defaults-extra-file="$cnf" -N -B -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN (` + sqlStrings(systemSchemas) + `)")`
	if len(databases) > 0 {
		list = "set -- " + shellWords(databases)
	}
	return credentials + list + `
if [ $# -eq 0 ]; then echo "the server holds no user database to back up" >&2; exit 3; fi
coordinates=
if [ "$(mysql --defaults-extra-file="$cnf" -N -B -e 'SELECT @@log_bin')" = 1 ]; then
  coordinates=--master-data=2
  ! mysqldump --help 2>/dev/null | grep -q -- --source-data || coordinates=--source-data=2
fi
dump() { mysqldump --defaults-extra-file="$cnf" --single-transaction $coordinates --routines --triggers --events --hex-blob --databases "$@"; }
if ! command -v gzip >/dev/null 2>&1; then dump "$@"; exit; fi
fifo=/tmp/.kubectl-stack-dump-$$
mkfifo "$fifo"
trap 'rm -f "$cnf" "$fifo"' EXIT
gzip -1 < "$fifo" &
gz=$!
rc=0
dump "$@" > "$fifo" || rc=$?
wait $gz || exit $?
exit $rc
`
}

// clientPIDFile records the PID of the mysql client a restore feeds, in the
// pod's /tmp (an emptyDir: it goes with the pod).
const clientPIDFile = "/tmp/.kubectl-stack-restore.pid"

// restoreScript feeds stdin to the mysql client and records its PID, so
// that putting the databases back after a broken connection can first stop
// a client that still reads what reached it. (sh points a background job's
// stdin at /dev/null before its own redirections, so stdin goes by fd 3.)
const restoreScript = credentials + `exec 3<&0
mysql --defaults-extra-file="$cnf" --batch <&3 3<&- &
` + awaitClient + `exit $rc
`

// podDumpFile is where a gzipped dump is copied before it is loaded in the
// pod: /tmp is an emptyDir, so it goes with the pod.
const podDumpFile = "/tmp/.kubectl-stack-restore.sql.gz"

// copyScript writes stdin to podDumpFile and checks it got size bytes; it
// leaves no part of the file when it fails.
func copyScript(size int64) string { return copyToScript(podDumpFile, size) }

// copyToScript writes stdin to the file in the pod, making its folder, and
// checks it got size bytes; it leaves no part of the file when it fails.
func copyToScript(file string, size int64) string {
	n := strconv.FormatInt(size, 10)
	return `set -e
umask 077
f=` + shellWords([]string{file}) + `
mkdir -p "$(dirname "$f")"
ok=0
trap '[ $ok = 1 ] || rm -f "$f"' EXIT
cat > "$f"
n=$(wc -c < "$f")
if [ "$n" -ne ` + n + ` ]; then echo "the pod received $n of the file's ` + n + ` bytes" >&2; exit 1; fi
ok=1
`
}

// podRestoreScript runs the drops, then loads podDumpFile, decompressed in
// the pod, with no stdin, and removes it. $! of a background pipeline is
// its last process, the client.
func podRestoreScript(drops string) string {
	return credentials + `f=` + podDumpFile + `
trap 'rm -f "$cnf" "$f"' EXIT
{ printf '%s' ` + shellWords([]string{drops}) + `; gzip -dc "$f"; } | mysql --defaults-extra-file="$cnf" --batch &
` + awaitClient + `exit $rc
`
}

// roomScript prints the free space of /tmp when the container can
// decompress a dump, and nothing when it cannot.
const roomScript = `command -v gzip >/dev/null 2>&1 || exit 0
df -Pk /tmp 2>/dev/null | tail -n 1 || true
`

// awaitClient records the PID of the client just started in the
// background and waits for it, its exit status in $rc.
const awaitClient = `pid=$!
exec 3<&-
echo $pid > ` + clientPIDFile + `
rc=0
wait $pid || rc=$?
rm -f ` + clientPIDFile + `
`

// partsStopped, while it exists, keeps any part's client from starting:
// stopRestoreClient makes it before it ends the clients, and a split
// restore removes it before it copies its parts.
const partsStopped = "/tmp/.kubectl-stack-parts-stopped"

// streamAt says where in a split dump's load a connection's stream is.
type streamAt int

const (
	// first: an earlier restore's PID files and stop mark go first.
	first streamAt = 1 + iota
	// last: the PID files' folder goes at the end.
	last
)

// partsScript loads a part of a split dump from stdin (gzip-compressed
// when gz) with one mysql client. The client writes its PID into
// podPartsDir under the connection's name, then starts unless
// partsStopped exists: a client that stopRestoreClient did not see yet is
// one that sees the mark (several load at once, and one may be starting
// as another's failure rolls everything back). Once the client ends, the
// script reads what is left of stdin, so that the exec ends when its
// input does, whatever the client did (see copyIntoPod).
func partsScript(name string, gz bool, at streamAt) string {
	decompress := "cat"
	if gz {
		decompress = "gzip -dc"
	}
	s := credentials
	if at == first {
		s += "rm -rf " + podPartsDir + " " + partsStopped + "\n"
	}
	gone := `"$p"`
	if at == last {
		gone = podPartsDir
	}
	return s + `mkdir -p ` + podPartsDir + `
p=` + podPartsDir + `/` + name + `.pid
trap 'rm -rf "$cnf" ` + gone + `' EXIT
exec 3<&0
` + decompress + ` <&3 | sh -c 'echo $$ > "$1"; [ ! -e ` + partsStopped + ` ] || exit 75; exec mysql --defaults-extra-file="$2" --batch 3<&-' sh "$p" "$cnf" &
rc=0
wait $! || rc=$?
cat <&3 > /dev/null
exit $rc
`
}

// stopRestoreClient ends the mysql clients of an earlier restore (the one
// of a whole dump, those of a split one's parts), if they still run in
// this pod, and waits until they are gone; the server then ends
// its session (rolling back what it had not committed) before any DDL of
// ours gets the tables' metadata locks.
const stopRestoreClient = `touch ` + partsStopped + `
for p in ` + clientPIDFile + ` ` + podPartsDir + `/*.pid; do
  [ -s "$p" ] || continue
  pid=$(cat "$p")
  kill -9 "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$p"
done
rm -f ` + podDumpFile + `
rm -rf ` + podBinlogDir + ` ` + podPartsDir + `
`

// rollbackScript stops an earlier restore's client, then feeds stdin to a
// new one.
const rollbackScript = credentials + stopRestoreClient + `mysql --defaults-extra-file="$cnf" --batch
`

// queryScript runs the SQL on stdin and prints tab-separated rows.
const queryScript = credentials + `mysql --defaults-extra-file="$cnf" --batch --skip-column-names
`

// shellWords quotes each word for sh.
func shellWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
