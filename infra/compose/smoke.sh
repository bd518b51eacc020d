#!/usr/bin/env bash
# A real `up` of this compose project on this machine, checked from outside, then taken down:
#
#   sudo flock /tmp/nvi-heavy.lock infra/compose/smoke.sh
#
# 1. A private dockerd: data root, exec root, socket and pidfile of its own; --iptables=false and no
#    default bridge, so the machine's firewall, its other daemons and lab traffic are left alone.
#    Compose's network is a plain Linux bridge; published ports go through docker-proxy.
# 2. build-base.sh: nvi-base, nvi-postgres, nvi-redis, nvi-caddy from Debian's archive (no Docker Hub).
# 3. The console image, built by compose from this checkout (its `build:` section, on the host's
#    network: that daemon has no NAT), then `up -d` with NVI_DOMAIN=localhost (Caddy's own CA, as
#    with `tls internal`).
# 4. Checks: https with the CA (and refused without it), HSTS, http redirected, /api/health ok,
#    every migration applied, the worker's heartbeat in Redis and its TSC answering TLS on the
#    published 6653, a sign-up over https with a Secure, HttpOnly session cookie that then works,
#    /install.sh naming the https console.
# 5. `down -v`, the daemon stopped by its PID, its bridges and files removed.
#
# Prints each phase's seconds. Needs root, dockerd (docker.io), docker compose or docker-compose,
# debootstrap, curl, openssl; ports 80, 443 and 6653 free. NVI_SMOKE_DATA_ROOT=DIR keeps the
# daemon's images there between runs (the base images are then built once).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31mFAIL\033[0m %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (a private dockerd)"
for c in dockerd docker debootstrap curl openssl ss; do command -v "$c" >/dev/null || fail "$c is missing"; done
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); elif command -v docker-compose >/dev/null; then
  COMPOSE=(docker-compose)
else fail "neither docker compose nor docker-compose (apt-get install docker-compose)"; fi
[ -z "$(ss -ltnH '( sport = :80 or sport = :443 or sport = :6653 )')" ] || fail "ports 80, 443 or 6653 are taken here"

DIR="$(mktemp -d /tmp/nvi-compose-smoke.XXXXXX)"
DATA="${NVI_SMOKE_DATA_ROOT:-$DIR/data}"
export DOCKER_HOST="unix://$DIR/docker.sock"
PROJECT=(--env-file "$DIR/env" -f "$HERE/docker-compose.yml" -f "$DIR/build-on-host-network.yml")
compose() { "${COMPOSE[@]}" "${PROJECT[@]}" "$@"; }
NETS=()
cleanup() {
  set +eu
  if [ -S "$DIR/docker.sock" ]; then
    [ -f "$DIR/env" ] && compose down -v --remove-orphans >"$DIR/down.log" 2>&1
    mapfile -t NETS < <(docker network ls -q --no-trunc 2>/dev/null)
  fi
  local pid
  pid="$(cat "$DIR/docker.pid" 2>/dev/null)"
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.2; done
    [ -e "/proc/$pid" ] && kill -KILL "$pid"
  fi
  for n in "${NETS[@]}"; do ip link del "br-${n:0:12}" 2>/dev/null; done
  awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
  [ -n "${NVI_SMOKE_DATA_ROOT:-}" ] || awk -v d="$DATA/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$DIR"
}
trap cleanup EXIT

say "private dockerd in $DIR (data root $DATA)"
dockerd --data-root "$DATA" --exec-root "$DIR/exec" --pidfile "$DIR/docker.pid" -H "$DOCKER_HOST" \
  --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
  --default-address-pool base=172.29.128.0/17,size=24 >"$DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
docker version >/dev/null 2>&1 || { tail -20 "$DIR/dockerd.log" >&2; fail "dockerd did not start"; }

SECONDS=0
if docker image inspect nvi-base:bookworm nvi-postgres:15 nvi-redis:7 nvi-caddy:2 >/dev/null 2>&1; then
  say "base images already in $DATA"
else
  say "build-base.sh"
  bash "$HERE/build-base.sh" >"$DIR/build-base.log" 2>&1 || { tail -30 "$DIR/build-base.log" >&2; fail "build-base.sh"; }
fi
T_BASE=$SECONDS
echo "  ${T_BASE}s"

PASSWORD="$(openssl rand -hex 24)"
cat >"$DIR/env" <<ENV
COMPOSE_PROJECT_NAME=nvi-smoke
NVI_DOMAIN=localhost
AUTH_SECRET=$(openssl rand -hex 32)
POSTGRES_PASSWORD=$PASSWORD
NVI_BASE=nvi-base:bookworm
NVI_POSTGRES_IMAGE=nvi-postgres:15
NVI_REDIS_IMAGE=nvi-redis:7
NVI_CADDY_IMAGE=nvi-caddy:2
ENV
printf 'services:\n  console:\n    build:\n      network: host\n' >"$DIR/build-on-host-network.yml"

SECONDS=0
say "${COMPOSE[*]} build (the console and worker image, from this checkout)"
compose build >"$DIR/build.log" 2>&1 || { tail -40 "$DIR/build.log" >&2; fail "compose build"; }
T_BUILD=$SECONDS
echo "  ${T_BUILD}s"
SECONDS=0
say "${COMPOSE[*]} up -d"
compose up -d >"$DIR/up.log" 2>&1 || { tail -40 "$DIR/up.log" >&2; compose logs --tail 40 >&2; fail "compose up"; }
T_UP=$SECONDS
echo "  ${T_UP}s"

# Caddy's private CA (what `install.sh --ca FILE` hands to hosts)
for _ in $(seq 1 150); do
  compose exec -T caddy cat /data/caddy/pki/authorities/local/root.crt >"$DIR/root.crt" 2>/dev/null && break
  sleep 0.2
done
[ -s "$DIR/root.crt" ] || { compose logs --tail 40 caddy >&2; fail "Caddy made no CA"; }
https() { curl -sS --max-time 20 --cacert "$DIR/root.crt" "$@"; }
for _ in $(seq 1 100); do https -f -o /dev/null https://localhost/api/health 2>/dev/null && break; sleep 0.3; done
T_HTTPS=$SECONDS

say "checks"
https -D "$DIR/h" -o "$DIR/health" https://localhost/api/health || fail "https://localhost/api/health"
grep -q '"status":"ok"' "$DIR/health" || fail "health: $(cat "$DIR/health")"
grep -qi '^strict-transport-security: max-age=31536000' "$DIR/h" || fail "no HSTS: $(cat "$DIR/h")"
echo "  https with Caddy's CA, HSTS, /api/health: $(cat "$DIR/health")"
curl -sS --max-time 20 -o /dev/null https://localhost/ 2>"$DIR/no-ca" && fail "https trusted without the CA"
grep -qi certificate "$DIR/no-ca" || fail "without the CA: $(cat "$DIR/no-ca")"
echo "  without the CA: $(head -1 "$DIR/no-ca")"
redirect="$(curl -sS --max-time 20 -o /dev/null -w '%{http_code} %{redirect_url}' http://localhost/sign-in)"
[ "$redirect" = "308 https://localhost/sign-in" ] || fail "http not redirected: $redirect"
echo "  http://localhost/sign-in -> $redirect"

applied="$(compose exec -T postgres psql -U nvi -d nvi -Atc \
  'select count(*) from _prisma_migrations where finished_at is not null and rolled_back_at is null')"
shipped="$(find "$REPO/prisma/migrations" -name migration.sql | wc -l)"
[ "${applied//[^0-9]/}" = "$shipped" ] || fail "migrations applied: $applied of $shipped"
echo "  migrations applied on start: $shipped of $shipped"

# the worker starts once the console is healthy, and takes a few seconds to (tsx)
for _ in $(seq 1 120); do
  workers="$(compose exec -T redis redis-cli --scan --pattern 'nvi:worker:*' | tr -d '\r')"
  [ -z "$workers" ] || break
  sleep 0.5
done
[ -n "$workers" ] || { compose logs --tail 40 worker >&2; fail "no worker heartbeat in Redis"; }
echo "  worker heartbeat: $workers"
# mutual TLS: without a host certificate the handshake ends in an alert, after the TSC showed its own
tls="$(openssl s_client -connect 127.0.0.1:6653 </dev/null 2>&1 || true)"
subject="$(grep -m1 '^subject=' <<<"$tls" | cut -d= -f2- || true)"
[ -n "$subject" ] || fail "the published 6653 does not answer TLS: $(head -5 <<<"$tls")"
echo "  TSC on the published 6653 (docker-proxy) answers TLS, certificate subject: $subject"

email="smoke-$(openssl rand -hex 4)@example.test"
https -D "$DIR/signup-h" -o "$DIR/signup" -c "$DIR/cookies" -H 'content-type: application/json' \
  -H 'origin: https://localhost' -d "{\"email\":\"$email\",\"password\":\"$(openssl rand -hex 16)\",\"name\":\"Smoke\"}" \
  https://localhost/api/auth/sign-up/email
head -1 "$DIR/signup-h" | grep -q ' 200' || fail "sign-up: $(head -1 "$DIR/signup-h") $(cat "$DIR/signup")"
cookie="$(grep -i '^set-cookie: __Secure-nvi.session_token=' "$DIR/signup-h" || true)"
[[ "$cookie" == *Secure* && "$cookie" == *HttpOnly* ]] || fail "session cookie not Secure+HttpOnly: $cookie"
https -b "$DIR/cookies" -o "$DIR/session" https://localhost/api/auth/get-session
grep -q "\"email\":\"$email\"" "$DIR/session" || fail "the session cookie does not sign in: $(cat "$DIR/session")"
echo "  sign-up over https: 200, cookie __Secure-nvi.session_token (Secure, HttpOnly), session works"
https -f -o "$DIR/install.sh" https://localhost/install.sh || fail "/install.sh"
grep -q "^CONSOLE='https://localhost'" "$DIR/install.sh" || fail "/install.sh does not name https://localhost"
version="$(sed -n "s/^VERSION='\{0,1\}\([^' ]*\)'\{0,1\}$/\1/p" "$DIR/install.sh")"
https -f -o "$DIR/agent.deb" "https://localhost/downloads/nvi-agent_${version}_amd64.deb" || fail "the agent's .deb $version"
[ "$(dpkg-deb -f "$DIR/agent.deb" Package Version | tr '\n' ' ')" = "Package: nvi-agent Version: $version " ] ||
  fail "the .deb served is not nvi-agent $version"
echo "  /install.sh naming https://localhost, and the agent's .deb it downloads (nvi-agent $version)"

say "all checks passed"
echo "  build-base.sh ${T_BASE}s, console image ${T_BUILD}s, up -d ${T_UP}s (+$((T_HTTPS - T_UP))s to https)"
echo "  load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
docker image ls --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep nvi || true
