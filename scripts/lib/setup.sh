# Sourced by scripts/up.sh and scripts/test.sh: makes this machine able to run the
# product, idempotently. Installs missing Debian packages, starts Postgres and Redis
# when they are not answering, creates the database role, installs JS dependencies
# and applies migrations. Safe to run again and again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PROJECT_ROOT="$ROOT"
export DB_USER="${DB_USER:-nvi}" DB_PASS="${DB_PASS:-nvi}" DB_NAME="${DB_NAME:-nvi}"
export DATABASE_URL="${DATABASE_URL:-postgresql://$DB_USER:$DB_PASS@127.0.0.1:5432/$DB_NAME}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export DO_NOT_TRACK=1 BETTER_AUTH_TELEMETRY=0 TZ=UTC
export PATH="$ROOT/node_modules/.bin:$PATH"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# Debian packages the product and its tests need (one per line in system-packages.txt).
install_system_packages() {
  local missing=()
  while read -r pkg; do
    [ -z "$pkg" ] || [[ "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done < "$ROOT/scripts/lib/system-packages.txt"
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  fi
  local psql=(runuser -u postgres -- psql -qtAX)
  "${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1 \
    || "${psql[@]}" -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS' CREATEDB"
  "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1 \
    || runuser -u postgres -- createdb -O "$DB_USER" "$DB_NAME"
}

# Redis as BullMQ needs it (infra/redis/nvi-redis.conf): AOF persistence and noeviction. A Redis
# already running gets the same settings live (CONFIG SET: no restart, nothing lost).
start_redis() {
  if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server "$ROOT/infra/redis/nvi-redis.conf" --daemonize yes --bind 127.0.0.1 --port 6379 \
      --dir /var/lib/redis --logfile /var/log/redis/nvi.log
    for _ in $(seq 1 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  redis-cli -u "$REDIS_URL" config set appendonly yes >/dev/null
  redis-cli -u "$REDIS_URL" config set maxmemory-policy noeviction >/dev/null
}

install_js() {
  command -v node >/dev/null || { echo "Node.js 20+ is required (apt-get install nodejs npm)"; exit 1; }
  if ! command -v pnpm >/dev/null || ! pnpm --version | grep -q '^10\.'; then
    log "installing pnpm 10"
    npm i -g pnpm@10.34.9 >/dev/null
  fi
  log "installing JS dependencies"
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=silent)
}

apply_migrations() {
  log "applying database migrations"
  local out
  if ! out="$(cd "$ROOT" && pnpm --silent db:deploy 2>&1)"; then
    echo "$out"
    echo "applying migrations failed (DATABASE_URL=${DATABASE_URL%%@*}@…)"
    exit 1
  fi
  echo "$out" | grep -E 'migrations? found|applied|No pending' || true
}

# The console signs sessions with AUTH_SECRET; generate one per checkout, kept out of git.
ensure_auth_secret() {
  local file="$ROOT/.run/auth-secret"
  mkdir -p "$ROOT/.run"
  [ -s "$file" ] || (umask 077 && openssl rand -hex 32 > "$file")
  export AUTH_SECRET="${AUTH_SECRET:-$(cat "$file")}"
}

setup_machine() {
  install_system_packages
  start_postgres
  start_redis
  install_js
  apply_migrations
  ensure_auth_secret
}
