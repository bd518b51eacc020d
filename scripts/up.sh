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

start() { # name, command...
  local name="$1"; shift
  # Own session and process group, so down.sh can stop the process and its children.
  setsid "$@" >>"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
}
log "starting the console on $PUBLIC_URL and the worker"
NODE_ENV=production start web node apps/web/server.mjs
start worker apps/worker/node_modules/.bin/tsx apps/worker/src/main.ts

for _ in $(seq 1 120); do
  curl -fsS "http://$HOST:$PORT/api/health" >/dev/null 2>&1 && break
  kill -0 "$(cat "$RUN/web.pid")" 2>/dev/null || { echo "the console exited; see $RUN/web.log"; tail -20 "$RUN/web.log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://$HOST:$PORT/api/health" >/dev/null || { echo "the console did not become healthy; see $RUN/web.log"; exit 1; }

cat <<MSG

  NVI console is up:   $PUBLIC_URL   (sign up there)
  REST API:            $PUBLIC_URL/api/v1   (OpenAPI: $PUBLIC_URL/api/v1/openapi.json)
  Logs:                $RUN/web.log  $RUN/worker.log
  Stop:                bash scripts/down.sh

MSG
