package backup

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

// dumpScript dumps every user database consistently (one transaction) with
// routines, triggers and events. It fails when there is nothing to dump.
var dumpScript = credentials + `dbs=$(mysql --defaults-extra-file="$cnf" -N -B -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN (` + sqlStrings(systemSchemas) + `)")
if [ -z "$dbs" ]; then echo "the server holds no user database to back up" >&2; exit 3; fi
mysqldump --defaults-extra-file="$cnf" --single-transaction --routines --triggers --events --hex-blob --databases $dbs
`

// restoreScript feeds stdin to the mysql client.
const restoreScript = credentials + `mysql --defaults-extra-file="$cnf" --batch
`

// queryScript runs the SQL on stdin and prints tab-separated rows.
const queryScript = credentials + `mysql --defaults-extra-file="$cnf" --batch --skip-column-names
`
