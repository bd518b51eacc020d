#!/usr/bin/env bash
# Stops the console, worker and local demo hosts that scripts/up.sh started (by their recorded PIDs),
# and removes the demo account up.sh made (its organization, clouds, hosts and instances).
# Postgres and Redis are left running: other things on the machine may use them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quiet="${1:-}"
for name in web worker local-hosts; do
  pidfile="$ROOT/.run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    # up.sh starts each in its own process group (setsid): stop the group, children included.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    # local-hosts tears its lab down on SIGTERM (namespaces, Open vSwitch, WireGuard, dockerd): give it time
    for _ in $(seq 1 $([ "$name" = local-hosts ] && echo 600 || echo 50)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    [ "$quiet" = "--quiet" ] || echo "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
done
# the demo account goes with its hosts (the lab, its gateways and tunnels went with local-hosts above)
if [ -f "$ROOT/.run/demo-login" ]; then
  # shellcheck source=lib/setup.sh
  source "$ROOT/scripts/lib/setup.sh" # DATABASE_URL and the rest of up.sh's environment, nothing started
  if out="$(cd "$ROOT" && node --import tsx infra/dataplane/src/local-hosts-cli.ts demo-remove 2>&1)"; then
    [ "$quiet" = "--quiet" ] || echo "$out"
  else
    echo "the demo account could not be removed (the next up.sh rebuilds it): $out"
  fi
  rm -f "$ROOT/.run/demo-login"
fi
