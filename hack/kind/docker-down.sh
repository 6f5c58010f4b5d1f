#!/usr/bin/env bash
# Stops the dockerd hack/kind/docker-up.sh started (by its recorded PID), and
# puts back what starting it changed: the FORWARD chain's policy and the
# egress guard. A Docker daemon it did not start is left alone.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
state="$cache/docker"
guard=KSTACK-DOCKER-GUARD

[ -s "$state/dockerd.pid" ] || exit 0
pid=$(cat "$state/dockerd.pid")
if kill "$pid" 2>/dev/null; then
  log "stopping dockerd $pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
fi
rm -f "$state/dockerd.pid"
while iptables -D DOCKER-USER -j "$guard" 2>/dev/null; do :; done
if iptables -F "$guard" 2>/dev/null; then iptables -X "$guard" 2>/dev/null || true; fi
if [ -s "$state/forward-policy" ]; then
  iptables -P FORWARD "$(cat "$state/forward-policy")"
  rm -f "$state/forward-policy"
fi
