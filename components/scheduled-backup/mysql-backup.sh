#!/bin/sh
# Runs in the scheduled-backup CronJob's pod: dumps every user database of
# the stack's MySQL with the options `kubectl stack backup` uses, writes
# BACKUP_DIR/kubectl-stack-<UTC time>.sql.gz and its .sha256 only once the
# dump is complete, and keeps the newest KEEP dumps.
set -eu
umask 077
cd "$BACKUP_DIR"
cnf=/tmp/client.cnf
trap 'rm -f "$cnf" .partial.sql.gz' EXIT
# The password goes to a private option file, never onto a command line.
pw=$(printf '%s' "$MYSQL_ROOT_PASSWORD" | sed 's/[\\"]/\\&/g')
printf '[client]\nhost=%s\nuser=root\npassword="%s"\n' "$MYSQL_HOST" "$pw" > "$cnf"
unset pw
# A network plugin lets a new pod's traffic through only once it has
# programmed the pod's rules, seconds after the start: wait for the server.
tries=0
until mysql --defaults-extra-file="$cnf" -e "SELECT 1" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { mysql --defaults-extra-file="$cnf" -e "SELECT 1"; exit 1; }
  sleep 1
done
dbs=$(mysql --defaults-extra-file="$cnf" -N -B -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys')")
[ -n "$dbs" ] || { echo "the server holds no user database to back up" >&2; exit 3; }
# shellcheck disable=SC2086 # one word per database
mysqldump --defaults-extra-file="$cnf" --single-transaction --routines --triggers --events --hex-blob --databases $dbs | gzip > .partial.sql.gz
# sh has no pipefail: the trailer proves mysqldump finished.
gzip -dc .partial.sql.gz | tail -n 1 | grep -q '^-- Dump completed' || { echo "mysqldump did not complete" >&2; exit 1; }
name=kubectl-stack-$(date -u +%Y%m%dT%H%M%SZ).sql.gz
sha256sum .partial.sql.gz | sed "s/\.partial\.sql\.gz\$/$name/" > "$name.sha256"
mv .partial.sql.gz "$name"
echo "wrote $BACKUP_DIR/$name ($(wc -c < "$name") bytes)"
# Keep the newest KEEP dumps (names sort by time).
ls -1 kubectl-stack-*.sql.gz | sort -r | tail -n +$((KEEP + 1)) | while read -r old; do
  rm -f "$old" "$old.sha256"
  echo "removed $old"
done
