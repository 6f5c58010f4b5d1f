#!/bin/bash
# Probes of a member of the HA tier (components/galera):
#   probe.sh live    alive while it waits for its peers (start.sh), while it
#                    receives a state transfer, and while the server answers
#   probe.sh ready   ready when the member is Synced with the primary
#                    component: it serves current data and takes writes
set -u
state=$(cat /var/run/mysqld/member-state 2>/dev/null || true)
export MYSQL_PWD=$MYSQL_ROOT_PASSWORD
case $1 in
  live)
    case $state in phase=waiting*) exit 0 ;; esac
    # A joiner's server answers nobody until its copy of the data is in.
    grep -qs 'wsrep_ss[t]' /proc/[0-9]*/cmdline && exit 0
    exec mariadb-admin --user=root ping
    ;;
  ready)
    status=$(mariadb --user=root -N -B -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_status')") || exit 1
    for want in $'wsrep_ready\tON' $'wsrep_local_state_comment\tSynced' $'wsrep_cluster_status\tPrimary'; do
      grep -qx "$want" <<<"$status" || { echo "not ready: $(tr '\t\n' '= ' <<<"$status")"; exit 1; }
    done
    ;;
  *) echo "probe.sh live|ready" >&2; exit 2 ;;
esac
