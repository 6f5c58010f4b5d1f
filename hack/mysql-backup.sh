#!/usr/bin/env bash
# The seed's backup script, for users without the plugin: dumps every user
# database of the stack's MySQL over `kubectl exec` with the options
# `kubectl stack backup` uses, gzipped, with a sha256 file beside it. The
# password is read inside the container and never leaves it.
#   hack/mysql-backup.sh [FILE]        (namespace: $NAMESPACE, default k8s-assignment)
# Restore without the plugin:
#   gzip -dc FILE | kubectl -n k8s-assignment exec -i mysql-0 -c mysql -- \
#     sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot'
set -euo pipefail
ns=${NAMESPACE:-k8s-assignment}
file=${1:-kubectl-stack-$ns-$(date -u +%Y%m%dT%H%M%SZ).sql.gz}
if [[ -e $file ]]; then
  echo "error: $file exists: remove it or name another file" >&2
  exit 1
fi
dir=$(dirname "$file")
partial=$(mktemp "$dir/.$(basename "$file").partial-XXXXXX")
trap 'rm -f "$partial"' EXIT
# shellcheck disable=SC2016 # expanded inside the container
kubectl -n "$ns" exec mysql-0 -c mysql -- sh -c '
  set -e
  umask 077
  cnf=/tmp/.backup-$$.cnf
  trap "rm -f $cnf" EXIT
  pw=$(printf "%s" "$MYSQL_ROOT_PASSWORD" | sed "s/[\\\\\"]/\\\\&/g")
  printf "[client]\nuser=root\npassword=\"%s\"\n" "$pw" > "$cnf"
  dbs=$(mysql --defaults-extra-file="$cnf" -N -B -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN (\"mysql\",\"information_schema\",\"performance_schema\",\"sys\")")
  [ -n "$dbs" ] || { echo "the server holds no user database to back up" >&2; exit 3; }
  mysqldump --defaults-extra-file="$cnf" --single-transaction --routines --triggers --events --hex-blob --databases $dbs
' | gzip > "$partial"
gzip -dc "$partial" | tail -n 1 | grep -q '^-- Dump completed' || { echo "error: mysqldump did not complete" >&2; exit 1; }
(cd "$dir" && sha256sum "$(basename "$partial")" | sed "s/ .*/  $(basename "$file")/") > "$file.sha256"
mv "$partial" "$file"
echo "wrote $file ($(wc -c < "$file") bytes) and $file.sha256"
