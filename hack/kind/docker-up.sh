#!/usr/bin/env bash
# Makes sure a Docker daemon that can run kind's privileged nodes is running.
#  - A daemon already running is used as it is (the usual Docker user).
#  - Else, Debian's dockerd (hack/install-deps.sh installs it) is started here, as a
#    machine without an init system needs, its PID recorded under the state
#    folder so hack/kind/docker-down.sh stops exactly it. Containers' DNS
#    goes to this machine's own address and nothing forwarded from Docker's
#    bridges leaves through the default route: nothing a cluster here runs
#    sends traffic off this machine.
#  - Where a privileged container fails because the machine's capability
#    bounding set lacks what privileged asks for (some VMs), that dockerd
#    runs with hack/kind/runc-wrapper as its default runtime.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
state="$cache/docker"
guard=KSTACK-DOCKER-GUARD
mkdir -p "$state"

probe_image() {
  docker image inspect kubectl-stack/probe:local >/dev/null 2>&1 && return 0
  tar -C /bin -c busybox | docker import -c 'ENTRYPOINT ["/busybox"]' - kubectl-stack/probe:local >/dev/null
}

privileged_runs() {
  probe_image && docker run --rm --privileged kubectl-stack/probe:local true >"$state/probe.log" 2>&1
}

start_dockerd() { # [runtime-wrapper]
  local args=(--dns "$(primary_address)")
  if [ -n "${1:-}" ]; then
    args+=(--add-runtime "kstack-runc=$1" --default-runtime kstack-runc)
  fi
  [ -s "$state/forward-policy" ] || iptables -S FORWARD | awk '$1 == "-P" {print $3}' >"$state/forward-policy"
  setsid dockerd "${args[@]}" >"$state/dockerd.log" 2>&1 </dev/null &
  echo $! >"$state/dockerd.pid"
  for _ in $(seq 1 300); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null || { tail -5 "$state/dockerd.log" >&2; log "dockerd exited; its log: $state/dockerd.log"; exit 1; }
    sleep 0.1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not answer within 30 s; its log: $state/dockerd.log"; exit 1; }
  guard_egress
}

stop_dockerd() {
  local pid
  pid=$(cat "$state/dockerd.pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$state/dockerd.pid"
}

# guard_egress drops what is forwarded from Docker's bridges out of the
# default route's interface (DOCKER-USER is Docker's chain for such rules).
guard_egress() {
  local out
  out=$(primary_interface)
  iptables -N "$guard" 2>/dev/null || iptables -F "$guard"
  iptables -A "$guard" -i docker0 -o "$out" -j DROP
  iptables -A "$guard" -i br-+ -o "$out" -j DROP
  iptables -C DOCKER-USER -j "$guard" 2>/dev/null || iptables -I DOCKER-USER 1 -j "$guard"
}

if docker info >/dev/null 2>&1; then
  if [ ! -s "$state/dockerd.pid" ] && ! privileged_runs; then
    log "this Docker daemon cannot run privileged containers, which kind needs:"
    cat "$state/probe.log" >&2
    log "stop it and run $0, which starts one that can"
    exit 1
  fi
  exit 0
fi

command -v dockerd >/dev/null || "$root/hack/install-deps.sh"
[ "$(id -u)" -eq 0 ] || { log "dockerd is not running; start it (as root: $0)"; exit 1; }

log "starting dockerd (log: $state/dockerd.log)"
start_dockerd
if privileged_runs; then
  exit 0
fi
if ! grep -q "unable to apply caps" "$state/probe.log"; then
  cat "$state/probe.log" >&2
  log "a privileged container fails here, and not for the capability bounding set"
  exit 1
fi
log "privileged containers fail (capability bounding set $(awk '/^CapBnd/ {print $2}' /proc/self/status)); restarting dockerd with hack/kind/runc-wrapper"
wrapper="$state/runc-wrapper"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$wrapper" ./hack/kind/runc-wrapper)
stop_dockerd
start_dockerd "$wrapper"
privileged_runs || { cat "$state/probe.log" >&2; log "privileged containers still fail with the wrapper"; exit 1; }
