#!/bin/sh
# Entrypoint of hack/'s MySQL-compatible image (MariaDB from Debian). It
# honours the contract of the official mysql image that the manifests use:
# MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD, scripts in
# /docker-entrypoint-initdb.d on first start, data in /var/lib/mysql, and it
# runs as whatever non-root user the pod sets (999 in the manifests).
set -eu
datadir=/var/lib/mysql
socket=/var/run/mysqld/mysqld.sock

if [ ! -d "$datadir/mysql" ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set}"
  echo "entrypoint: initialising $datadir"
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  mariadbd --datadir="$datadir" --skip-networking --socket="$socket" &
  pid=$!
  i=0
  until mariadb-admin --socket="$socket" --user=root ping >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 60 ] || { echo "entrypoint: server did not start" >&2; exit 1; }
    sleep 1
  done
  sql() { mariadb --socket="$socket" --user=root "$@"; }
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER IF NOT EXISTS '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';"
      [ -z "${MYSQL_DATABASE:-}" ] || echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | sql
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "entrypoint: running $f"; MYSQL_PWD="$MYSQL_ROOT_PASSWORD" sql ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} < "$f" ;;
      *.sql.gz) echo "entrypoint: running $f"; gunzip -c "$f" | MYSQL_PWD="$MYSQL_ROOT_PASSWORD" sql ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} ;;
      *.sh) echo "entrypoint: running $f"
        # shellcheck source=/dev/null # the image user's own scripts
        . "$f" ;;
    esac
  done
  MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mariadb-admin --socket="$socket" --user=root shutdown
  wait "$pid" || true
  echo "entrypoint: initialised"
fi

exec mariadbd --datadir="$datadir" "$@"
