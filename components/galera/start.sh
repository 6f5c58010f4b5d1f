#!/bin/bash
# A member of the HA tier: the database container's command. Before the
# server starts it decides whether this member joins the running cluster,
# bootstraps it, or waits; then it runs mariadbd in its place.
#
# Members tell each other where they stand on the member-state port: a line
# "phase=waiting position=UUID:SEQNO safe=0|1" (position "none" for an empty
# data folder, "unknown" when it cannot be read), or "phase=running" once the
# server is started. The same line is in $run/member-state, which
# `kubectl stack status` reads. The rules (decide, below):
#   - a member runs: join it (IST, else a full copy by mariadb-backup);
#   - every member answers and none has data: the first member creates the
#     cluster, once;
#   - every member answers: the one with the most advanced state (highest
#     seqno; then the one Galera marked safe to bootstrap, the last to leave;
#     then the lowest ordinal) bootstraps, never a stale one;
#   - not every member answers: only the member marked safe to bootstrap may;
#     anything else waits, and `kubectl stack recover` asks the user.
#
#   start.sh            run the member (the container's command)
#   start.sh decide     read "NAME PHASE POSITION SAFE" lines (this member's
#                       too), print join, init, bootstrap or wait:REASON
set -euo pipefail

datadir=/var/lib/mysql
run=/var/run/mysqld
state=$run/member-state
request=$run/bootstrap-request
conf=$run/member.cnf

log() { echo "galera: $*" >&2; }

# decide MEMBERS ME: the rules above over the lines on stdin.
decide() {
  local members=$1 me=$2 name phase position safe
  local answered=0 with_data=0 unknown="" uuids="" my_position="" my_safe=0 running=""
  local best="" best_seqno=-2 best_safe=0 seqno
  while read -r name phase position safe; do
    answered=$((answered + 1))
    if [ "$name" = "$me" ]; then my_position=$position my_safe=$safe; fi
    case $phase in running) running=$name; continue ;; esac
    case $position in
      none) continue ;;
      unknown) unknown+=" $name"; continue ;;
    esac
    with_data=$((with_data + 1))
    uuids+=" ${position%:*}"
    seqno=${position##*:}
    # Lines come in ordinal order, so a tie keeps the lower ordinal.
    if [ "$seqno" -gt "$best_seqno" ] || { [ "$seqno" -eq "$best_seqno" ] && [ "$safe" = 1 ] && [ "$best_safe" = 0 ]; }; then
      best=$name best_seqno=$seqno best_safe=$safe
    fi
  done
  if [ -n "$running" ]; then echo join; return; fi
  if [ "$answered" -lt "$members" ]; then
    if [ "$my_safe" = 1 ] && [ "$my_position" != none ]; then echo bootstrap; return; fi
    echo "wait:no member runs and $((members - answered)) of $members do not answer: kubectl stack recover"
    return
  fi
  if [ -n "$unknown" ]; then echo "wait:the state of$unknown cannot be read: kubectl stack recover"; return; fi
  if [ "$(echo "$uuids" | tr ' ' '\n' | sort -u | grep -c .)" -gt 1 ]; then
    echo "wait:members hold data of different clusters ($(echo "$uuids" | tr ' ' '\n' | sort -u | xargs)): kubectl stack recover"
    return
  fi
  if [ "$with_data" -eq 0 ]; then
    if [ "${me##*-}" = 0 ]; then echo init; else echo "wait:${me%-*}-0 creates the cluster"; fi
    return
  fi
  if [ "$best" = "$me" ]; then echo bootstrap; else echo "wait:$best bootstraps the cluster (seqno $best_seqno)"; fi
}

if [ "${1:-}" = decide ]; then
  decide "$2" "$3"
  exit
fi

members=${GALERA_MEMBERS:?}
name=${POD_NAME:?}
ordinal=${name##*-}
set_name=${name%-*}
port=${GALERA_STATE_PORT:?}
domain=${GALERA_SERVICE:?}.${POD_NAMESPACE:?}.svc

member_address() { echo "$set_name-$1.$domain"; }

# A cluster of one (a restore test's throwaway server) lists no address:
# it has no peer, and its own name resolves nowhere outside the stack.
write_conf() {
  local addresses="" i
  if [ "$members" -gt 1 ]; then
    for ((i = 0; i < members; i++)); do addresses+="${addresses:+,}$(member_address "$i")"; done
  fi
  cat >"$conf" <<EOF
!include /etc/mysql/galera/galera.cnf
[mysqld]
server_id = $((ordinal + 1))
gtid_domain_id = $((ordinal + 100))
# Binary logs named after the member: the archive holds several members'
# logs side by side, and a backup's coordinates say whose they are.
log_bin = $name-bin
wsrep_node_name = $name
wsrep_node_address = ${POD_IP:?}
wsrep_cluster_address = gcomm://$addresses
EOF
}

grastate() { sed -n "s/^$1:[[:space:]]*//p" "$datadir/grastate.dat" 2>/dev/null || true; }

# position: UUID:SEQNO of the data folder, none when empty, unknown when
# neither grastate.dat nor InnoDB (mariadbd --wsrep-recover) tells it. A
# member killed mid-flight has seqno -1 in grastate.dat; without the
# recovered position it would need a full copy instead of IST.
position() {
  if [ ! -d "$datadir/mysql" ] && [ ! -f "$datadir/grastate.dat" ]; then echo none; return; fi
  local uuid seqno recovered
  uuid=$(grastate uuid) seqno=$(grastate seqno)
  if [ -n "$uuid" ] && [ -n "$seqno" ] && [ "$seqno" != -1 ]; then echo "$uuid:$seqno"; return; fi
  if mariadbd --defaults-extra-file="$conf" --wsrep-recover --log-error="$run/wsrep-recover.log" >/dev/null 2>&1; then
    # UUID:SEQNO,GTID; a folder that never finished joining has the zero UUID.
    recovered=$(sed -n 's/.*WSREP: Recovered position: *//p' "$run/wsrep-recover.log" | tail -1)
    recovered=${recovered%%,*}
    case $recovered in
      00000000-0000-0000-0000-000000000000:*) echo none; return ;;
      *:-1 | "") ;;
      *:*) echo "$recovered"; return ;;
    esac
  fi
  echo unknown
}

# ask NAME: the state line of a peer, empty when it does not answer.
ask() { timeout 5 socat -u "TCP:$(member_address "${1##*-}"):$port,connect-timeout=2" STDOUT 2>/dev/null | head -1 || true; }

# survey: the decide lines of every member that answers, this one's too.
survey() {
  local i peer line
  for ((i = 0; i < members; i++)); do
    peer=$set_name-$i
    if [ "$peer" = "$name" ]; then line=$(cat "$state"); else line=$(ask "$peer"); fi
    [ -n "$line" ] || continue
    echo "$peer $(field phase "$line") $(field position "$line") $(field safe "$line")"
  done
}

field() {
  local f
  for f in $2; do
    if [ "${f%%=*}" = "$1" ]; then echo "${f#*=}"; fi
  done
}

# initialise: a new cluster's first data folder, with the users of the
# official image's contract, made before the cluster exists (wsrep off, no
# binary log: the cluster's GTIDs start with its first replicated write).
initialise() {
  if [ -d "$datadir/mysql" ]; then
    log "$datadir holds data of no cluster: a new cluster is not made over it; move it away, or restore it into the cluster once it runs"
    exit 1
  fi
  log "initialising $datadir for a new cluster"
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  local socket=$run/init.sock i=0
  mariadbd --defaults-extra-file="$conf" --wsrep-on=OFF --skip-log-bin --skip-networking --socket="$socket" &
  local pid=$!
  until mariadb-admin --socket="$socket" --user=root ping >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt 120 ] || { log "the server did not start to be initialised"; exit 1; }
    sleep 1
  done
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD:?}';"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    # The donor's mariadb-backup logs in through the socket as the image's
    # mysql user: no password, and only what a backup needs.
    echo "CREATE USER IF NOT EXISTS 'mysql'@'localhost' IDENTIFIED VIA unix_socket;"
    echo "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'mysql'@'localhost';"
    [ -z "${MYSQL_DATABASE:-}" ] || echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER IF NOT EXISTS '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';"
      [ -z "${MYSQL_DATABASE:-}" ] || echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
    fi
  } | mariadb --socket="$socket" --user=root
  MYSQL_PWD=$MYSQL_ROOT_PASSWORD mariadb-admin --socket="$socket" --user=root shutdown
  wait "$pid" || true
}

mkdir -p "$run"
rm -f "$state"
write_conf
position=$(position)
safe=$(grastate safe_to_bootstrap)
echo "phase=waiting position=$position safe=${safe:-0}" >"$state"
log "$name holds $position (safe to bootstrap: ${safe:-0})"
# Serves the state line to the peers for as long as the container lives.
socat "TCP-LISTEN:$port,reuseaddr,fork" "SYSTEM:cat $state" &

said=""
while :; do
  if [ -f "$request" ]; then
    decision=bootstrap
    [ "$position" != none ] || decision=init
    log "bootstrapping as kubectl stack recover asked"
    rm -f "$request"
  else
    decision=$(survey | decide "$members" "$name")
  fi
  case $decision in
    join | init | bootstrap) break ;;
  esac
  if [ "$decision" != "$said" ]; then log "waiting: ${decision#wait:}"; said=$decision; fi
  echo "phase=waiting position=$position safe=${safe:-0} reason=${decision#wait:}" >"$state.new"
  mv "$state.new" "$state"
  sleep 2
done

args=(--defaults-extra-file="$conf")
case $decision in
  init)
    initialise
    args+=(--wsrep-new-cluster)
    ;;
  bootstrap)
    sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$datadir/grastate.dat" 2>/dev/null || true
    args+=(--wsrep-new-cluster)
    ;;
esac
case $position in none | unknown) ;; *) args+=(--wsrep_start_position="$position") ;; esac
echo "phase=running" >"$state"
log "$decision: starting mariadbd ${args[*]:1}"
exec mariadbd "${args[@]}"
