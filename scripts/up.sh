#!/usr/bin/env bash
# Brings the whole product up on this machine: installs what is missing (Debian
# packages, pnpm, JS dependencies), starts Postgres and Redis, applies migrations,
# builds, then starts the console and the worker in the background.
# Run it again at any time: it rebuilds and restarts what it started before.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
cd "$ROOT"
setup_machine

export PORT="${PORT:-3000}" HOST="${HOST:-127.0.0.1}"
export PUBLIC_URL="${PUBLIC_URL:-http://$HOST:$PORT}"
RUN="$ROOT/.run"
mkdir -p "$RUN"

bash "$ROOT/scripts/down.sh" --quiet

log "building"
pnpm turbo run build --output-logs=errors-only
# the agent's .deb and install.sh, which the console serves to hosts (Clouds → Add host); gzip, not xz: seconds, not minutes
log "packaging the agent (dist/nvi-agent_*_amd64.deb)"
bash infra/package/build-deb.sh --fast >>"$RUN/package.log" 2>&1 || echo "the agent package could not be built (see $RUN/package.log): /install.sh will answer 404"

start() { # name, command...
  local name="$1"; shift
  # Own session and process group, so down.sh can stop the process and its children.
  setsid "$@" >>"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
}
# The local demo: lab hosts on this machine (network namespaces, each host with its own Open vSwitch;
# needs root). NVI_DEMO_TOPOLOGY=internet (the default): three clouds joined only through an
# "internet" namespace, each datacenter's first host its gateway (WireGuard between gateways): dc1
# behind a 1:1 NAT, dc2 with public addresses, dc3 behind a port-rewriting NAT; 2 hosts each.
# NVI_DEMO_TOPOLOGY=routed: two datacenters on a routed underlay, 1 host each. The worker's TSC
# then listens on the lab's management address.
LOCAL_CONSOLE="http://$([ "$HOST" = 0.0.0.0 ] && echo 127.0.0.1 || echo "$HOST"):$PORT"
demo=""
topology="${NVI_DEMO_TOPOLOGY:-internet}"
case "$topology" in
  internet) lab_shape=(--topology internet --datacenters 3 --hosts-per-dc 2) ;;
  routed) lab_shape=(--topology routed --datacenters 2 --hosts-per-dc 1) ;;
  *) echo "NVI_DEMO_TOPOLOGY must be internet or routed, not \"$topology\""; exit 1 ;;
esac
if [ "${NVI_DEMO:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  log "building the VM guest (Debian's kernel + a busybox initramfs; cached after the first time)"
  bash infra/images/build-guest.sh >>"$RUN/local-hosts.log" 2>&1 || echo "the VM guest could not be built (see $RUN/local-hosts.log): demo hosts offer namespaces and Docker only"
  log "starting the local demo hosts ($topology: ${lab_shape[*]:2})"
  rm -f "$RUN/local-hosts.json"
  start local-hosts node --import tsx infra/dataplane/src/local-hosts-cli.ts serve --console "$LOCAL_CONSOLE" --state "$RUN/local-hosts.json" "${lab_shape[@]}"
  for _ in $(seq 1 360); do [ -f "$RUN/local-hosts.json" ] && break; kill -0 "$(cat "$RUN/local-hosts.pid")" 2>/dev/null || break; sleep 0.5; done
  if [ -f "$RUN/local-hosts.json" ]; then
    demo=1
    # the demo hosts reach the TSC on the lab's address; a TSC_BIND_ADDRESS you set wins (use
    # 0.0.0.0 to serve real hosts and the demo hosts together)
    export TSC_BIND_ADDRESS="${TSC_BIND_ADDRESS:-$(node -p 'require(process.argv[1]).tscIp' "$RUN/local-hosts.json")}"
  else
    echo "the local demo hosts did not start (see $RUN/local-hosts.log); going on without them"; tail -5 "$RUN/local-hosts.log" || true
  fi
fi

log "starting the console on $PUBLIC_URL and the worker"
# The console and the worker (its TSC) run ahead of the demo hosts' datapaths and tenants on this
# one machine (NVI_CONTROL_PLANE_NICE, default -5): with 200 console requests a second beside the
# lab, an unplug stopped traffic 2.6–2.9× sooner with these two and Postgres at -5 (bench/policy
# README, "The control plane first"; Postgres keeps its own unit's setting here).
# Not root: nice says it cannot and runs them at 0.
nice_cp=(nice -n "${NVI_CONTROL_PLANE_NICE:--5}")
NODE_ENV=production start web "${nice_cp[@]}" node apps/web/server.mjs
start worker "${nice_cp[@]}" apps/worker/node_modules/.bin/tsx apps/worker/src/main.ts

for _ in $(seq 1 120); do
  curl -fsS "http://$HOST:$PORT/api/health" >/dev/null 2>&1 && break
  kill -0 "$(cat "$RUN/web.pid")" 2>/dev/null || { echo "the console exited; see $RUN/web.log"; tail -20 "$RUN/web.log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://$HOST:$PORT/api/health" >/dev/null || { echo "the console did not become healthy; see $RUN/web.log"; exit 1; }

if [ -n "$demo" ]; then
  log "enrolling the demo hosts into a demo account"
  node --import tsx infra/dataplane/src/local-hosts-cli.ts demo --console "$LOCAL_CONSOLE" --public-url "$PUBLIC_URL" --state "$RUN/local-hosts.json" --login-file "$RUN/demo-login" \
    || { echo "the demo account could not be set up; the console runs without it"; demo=""; }
fi

cat <<MSG

  NVI console is up:   $PUBLIC_URL   (sign up there)
  REST API:            $PUBLIC_URL/api/v1   (OpenAPI: $PUBLIC_URL/api/v1/openapi.json)
  Logs:                $RUN/web.log  $RUN/worker.log${demo:+  $RUN/local-hosts.log}
  Stop:                bash scripts/down.sh

MSG
if [ -n "$demo" ] && [ "$topology" = internet ]; then
  cat <<MSG
  Local demo:          sign in as $(sed -n 1p "$RUN/demo-login") / $(sed -n 2p "$RUN/demo-login")
                       Three clouds on this machine, joined only across a lab "internet": demo-dc1
                       (its gateway behind a 1:1 NAT, like an Elastic IP), demo-dc2 (a public gateway)
                       and demo-dc3 (behind a NAT that rewrites ports, like an office's carrier NAT).
                       Each cloud's first host is its gateway; gateways talk WireGuard (encrypted).
                       Try: Topology shows the three links between the clouds' gateways; "Draw a VPC"
                       across the three clouds; under Instances launch one in each cloud on its
                       second host (Docker image local/busybox:latest serves tcp/80, or a namespace);
                       then "Can it reach…?" between every pair (ping, and tcp/80).
                       Your own account: enroll lab hosts with the command under Clouds → Add host.
                       NVI_DEMO_TOPOLOGY=routed: two datacenters on a routed underlay instead.
                       NVI_DEMO=0 skips the demo.

MSG
elif [ -n "$demo" ]; then
  cat <<MSG
  Local demo:          sign in as $(sed -n 1p "$RUN/demo-login") / $(sed -n 2p "$RUN/demo-login")
                       (clouds demo-dc1 and demo-dc2, one lab host each, already enrolled): draw a VPC
                       under Topology, launch an instance in each datacenter (Docker image
                       local/busybox:latest, or a QEMU VM with image nvi-busybox), then
                       "Can it reach…?" under Instances.
                       Your own account: enroll lab hosts with the command under Clouds → Add host.
                       NVI_DEMO_TOPOLOGY=internet (the default): three clouds through gateways.
                       NVI_DEMO=0 skips the demo.

MSG
fi
