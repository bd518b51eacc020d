#!/usr/bin/env bash
# Base images from Debian's archive, for machines that cannot pull from Docker Hub:
#   nvi-base:bookworm   debootstrap'd Debian 12 + this machine's Node (>= 20.19; Debian's is 18)
#   nvi-postgres:15     + postgresql-15, nvi-redis:7 + redis-server, nvi-caddy:2 + caddy
# Each behaves as the stock image does where docker-compose.yml relies on it (POSTGRES_* on first
# start and PGDATA, Redis reachable from other containers, Caddy's /data and /etc/caddy/Caddyfile).
# Needs root, debootstrap (apt-get install debootstrap) and a running dockerd (DOCKER_HOST is
# honoured). Then set the NVI_*_IMAGE / NVI_BASE lines of .env (env.example) and
# `docker compose up -d --build`. 1–2 minutes on 2 cores (README.md).
#   DEBIAN_MIRROR=http://…/debian  DEBIAN_SECURITY_MIRROR=http://…/debian-security
#   DEBOOTSTRAP_CACHE_DIR=DIR      keep the downloaded .debs there for the next run
#   NVI_EXTRA_CA=FILE              CAs (PEM) the images' Node trusts too; default NODE_EXTRA_CA_CERTS
set -euo pipefail
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
command -v debootstrap >/dev/null || { echo "build-base.sh: apt-get install debootstrap" >&2; exit 1; }
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  { echo "build-base.sh: this machine's Node must be >= 20.19 (it is copied into nvi-base)" >&2; exit 1; }
ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT
[ -z "${DEBOOTSTRAP_CACHE_DIR:-}" ] || mkdir -p "$DEBOOTSTRAP_CACHE_DIR"
debootstrap --variant=minbase ${DEBOOTSTRAP_CACHE_DIR:+--cache-dir="$DEBOOTSTRAP_CACHE_DIR"} bookworm "$ROOTFS" "$MIRROR"
cat >"$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
SOURCES
# packages' maintainer scripts must not start daemons while an image is built (no init in there)
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
install -m 0755 "$(command -v node)" "$ROOTFS/usr/local/bin/node"
cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ROOTFS/usr/local/lib/npm"
ln -sf ../lib/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
# The CAs this machine's Node trusts beyond its own (NODE_EXTRA_CA_CERTS or NVI_EXTRA_CA, e.g. a
# TLS-inspecting proxy's, as on these machines): npm and pnpm in the images need them to reach npm.
ENVS='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8'
EXTRA_CA="${NVI_EXTRA_CA:-${NODE_EXTRA_CA_CERTS:-}}"
if [ -n "$EXTRA_CA" ]; then
  install -m 0644 "$EXTRA_CA" "$ROOTFS/usr/local/share/nvi-extra-ca.pem"
  ENVS="$ENVS NODE_EXTRA_CA_CERTS=/usr/local/share/nvi-extra-ca.pem"
fi
tar -C "$ROOTFS" -c . | docker import -c "ENV $ENVS" -c 'CMD ["bash"]' - nvi-base:bookworm

# tag, packages, Dockerfile lines before the install (as root), lines after it. Built on the host's
# network: the daemon may have no NAT for its bridge (a private dockerd with --iptables=false).
image() {
  printf 'FROM nvi-base:bookworm\n%s\nRUN apt-get update && apt-get install -y --no-install-recommends %s \\\n && rm -rf /var/lib/apt/lists/*\n%s\n' \
    "$3" "$2" "$4" | docker build --network host -t "$1" -
}
# initdb on the first start (an empty data volume) with POSTGRES_USER/PASSWORD/DB, as the stock image
# does: the socket inside the container trusted (docker compose exec … pg_dump), the network by password
image nvi-postgres:15 "postgresql-15" \
  'RUN mkdir -p /etc/postgresql-common/createcluster.d && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/nvi.conf' \
  'ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
RUN install -d -o postgres -g postgres -m 0700 "$PGDATA" && install -d -o postgres -g postgres -m 2775 /run/postgresql
USER postgres
STOPSIGNAL SIGINT
CMD ["bash", "-c", "[ -s \"$PGDATA/PG_VERSION\" ] || { initdb -U \"$POSTGRES_USER\" --pwfile=<(printf %s \"$POSTGRES_PASSWORD\") --auth-local=trust --auth-host=scram-sha-256 && echo \"host all all 0.0.0.0/0 scram-sha-256\" >>\"$PGDATA/pg_hba.conf\" && postgres --single -D \"$PGDATA\" postgres <<<\"CREATE DATABASE \\\"$POSTGRES_DB\\\"\" >/dev/null; } && exec postgres -c \"listen_addresses=*\""]'
# no config file given (compose passes flags): the stock image turns protected mode off the same way,
# else Redis refuses every client that is not on its loopback
image nvi-redis:7 "redis-server redis-tools" '' \
  'RUN install -d -o redis -g redis /data && printf "#!/bin/sh\n[ \"\$1\" = redis-server ] && shift && set -- redis-server --protected-mode no \"\$@\"\nexec \"\$@\"\n" >/usr/local/bin/nvi-redis-entrypoint && chmod 0755 /usr/local/bin/nvi-redis-entrypoint
WORKDIR /data
USER redis
ENTRYPOINT ["nvi-redis-entrypoint"]
CMD ["redis-server"]'
image nvi-caddy:2 "caddy ca-certificates" '' 'ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]'
echo "built nvi-base:bookworm nvi-postgres:15 nvi-redis:7 nvi-caddy:2"
