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
# The local demo: lab hosts in two "datacenters" on this machine (network namespaces, each with its
# own Open vSwitch; needs root). The worker's TSC then listens on the lab's management address.
LOCAL_CONSOLE="http://$([ "$HOST" = 0.0.0.0 ] && echo 127.0.0.1 || echo "$HOST"):$PORT"
demo=""
if [ "${NVI_DEMO:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  log "building the VM guest (Debian's kernel + a busybox initramfs; cached after the first time)"
  bash infra/images/build-guest.sh >>"$RUN/local-hosts.log" 2>&1 || echo "the VM guest could not be built (see $RUN/local-hosts.log): demo hosts offer namespaces and Docker only"
  log "starting the local demo hosts (2 datacenters)"
  rm -f "$RUN/local-hosts.json"
  start local-hosts node --import tsx infra/dataplane/src/local-hosts-cli.ts serve --console "$LOCAL_CONSOLE" --state "$RUN/local-hosts.json"
  for _ in $(seq 1 120); do [ -f "$RUN/local-hosts.json" ] && break; kill -0 "$(cat "$RUN/local-hosts.pid")" 2>/dev/null || break; sleep 0.5; done
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
NODE_ENV=production start web node apps/web/server.mjs
start worker apps/worker/node_modules/.bin/tsx apps/worker/src/main.ts

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
if [ -n "$demo" ]; then
  cat <<MSG
  Local demo:          sign in as $(sed -n 1p "$RUN/demo-login") / $(sed -n 2p "$RUN/demo-login")
                       (clouds demo-dc1 and demo-dc2, one lab host each, already enrolled): draw a VPC
                       under Topology, launch an instance in each datacenter (Docker image
                       local/busybox:latest, or a QEMU VM with image nvi-busybox), then
                       "Can it reach…?" under Instances.
                       Your own account: enroll lab hosts with the command under Clouds → Add host.
                       NVI_DEMO=0 skips the demo.

MSG
fi
