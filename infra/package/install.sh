#!/bin/sh
# The NVI agent's installer, served by the console at @PUBLIC_URL@/install.sh (the console fills in
# the @…@ values). On a Debian/Ubuntu amd64 server, as root:
#
#   curl -fsSL @PUBLIC_URL@/install.sh | sudo sh -s -- 'nvj_…@@PUBLIC_URL@' [options]
#   curl -fsSL @PUBLIC_URL@/install.sh | sudo sh -s -- --upgrade
#
# Options:
#   --instance-block CIDR   the routed block this host's instances get (the underlay routes it here);
#                           default: the console assigns the next free /24 of its pool at enrollment
#   --controller ssl:H:P    the TSC's OpenFlow address (default @CONTROLLER@); "none": leave OVS alone
#   --ca FILE               a CA certificate the console's HTTPS certificate comes from (kept as
#                           /etc/nvi/console-ca.pem; the agent trusts it through NODE_EXTRA_CA_CERTS)
#   --root DIR              unpack under DIR instead of installing (no dpkg, no systemd): the agent
#                           runs in the background from DIR; for labs and containers
#   --no-start              install and configure only
set -eu
CONSOLE='@PUBLIC_URL@'
VERSION='@VERSION@'
CONTROLLER='@CONTROLLER@'
JOIN='' BLOCK='' CA='' ROOT='' START=1 UPGRADE=0
say() { printf 'nvi-agent: %s\n' "$*"; }
die() { printf 'nvi-agent: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --instance-block) BLOCK="${2:-}"; shift 2 ;;
    --controller) CONTROLLER="${2:-}"; shift 2 ;;
    --ca) CA="${2:-}"; shift 2 ;;
    --root) ROOT="${2:-}"; shift 2 ;;
    --no-start) START=0; shift ;;
    --upgrade) UPGRADE=1; shift ;;
    nvj_*) JOIN="$1"; shift ;;
    *) die "unknown argument: $1 (the join string is 'nvj_…@console-url'; see the head of this script)" ;;
  esac
done

echo "$JOIN" | grep -Eq '^(nvj_[A-Za-z0-9]+@https?://[A-Za-z0-9.:_-]+/?)?$' || die "that is not a join string: copy it from the console (Clouds → Add host)"
[ -n "$JOIN" ] || [ "$UPGRADE" = 1 ] || die "give the join string: sh -s -- 'nvj_…@$CONSOLE'"
[ -z "$BLOCK" ] || echo "$BLOCK" | grep -Eq '^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$' || die "--instance-block wants an IPv4 CIDR like 100.65.3.0/24"
[ "$CONTROLLER" = none ] || echo "$CONTROLLER" | grep -Eq '^(tcp|ssl):[A-Za-z0-9.-]+:[0-9]{1,5}$' || die "--controller wants ssl:HOST:PORT (or none)"
[ -z "$CA" ] || [ -r "$CA" ] || die "--ca $CA: cannot read it"
[ "$(id -u)" = 0 ] || die "run me as root (sudo sh -s -- …)"
[ -n "$ROOT" ] || command -v dpkg >/dev/null || die "this installer needs a Debian-based system (dpkg); see the agent's README for other ways"
[ "$(uname -m)" = x86_64 ] || die "the package is for amd64; this machine is $(uname -m)"
command -v curl >/dev/null || die "curl is missing (apt-get install curl)"

ETC="$ROOT/etc/nvi"
ENV_FILE="$ETC/agent.env"
STATE="$ROOT/var/lib/nvi-agent"
DEB="nvi-agent_${VERSION}_amd64.deb"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CURL_CA=''
if [ -n "$CA" ]; then CURL_CA="--cacert $CA"; fi

# 1. the package
say "downloading $CONSOLE/downloads/$DEB"
# shellcheck disable=SC2086
curl -fsSL $CURL_CA -o "$TMP/$DEB" "$CONSOLE/downloads/$DEB" || die "could not download the package from $CONSOLE"
if [ -n "$ROOT" ]; then
  # dpkg-deb -x knows no conffiles: keep the configuration an earlier run wrote (an upgrade)
  [ ! -f "$ENV_FILE" ] || cp -p "$ENV_FILE" "$TMP/agent.env.kept"
  mkdir -p "$ROOT" && dpkg-deb -x "$TMP/$DEB" "$ROOT"
  [ ! -f "$TMP/agent.env.kept" ] || cp -p "$TMP/agent.env.kept" "$ENV_FILE"
  say "unpacked nvi-agent $VERSION under $ROOT"
elif command -v apt-get >/dev/null; then
  # apt-get brings Open vSwitch, nftables and the rest from the distribution's archive
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$TMP/$DEB" >/dev/null || die "apt-get could not install $DEB"
  say "installed nvi-agent $VERSION (dpkg -s nvi-agent)"
else
  dpkg -i "$TMP/$DEB" || die "dpkg -i $DEB failed (missing dependencies? apt-get -f install)"
fi

# 2. the configuration (an upgrade keeps it; a new join string replaces it)
if [ -n "$JOIN" ]; then
  [ ! -f "$STATE/state.json" ] || die "this host is enrolled already ($STATE/state.json); to enroll it again, remove that file first"
  mkdir -p "$ETC" "$STATE" && chmod 0700 "$STATE"
  umask 077
  {
    echo "# written by install.sh from $CONSOLE on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "NVI_JOIN='$JOIN'"
    [ "$CONTROLLER" = none ] || echo "NVI_CONTROLLER=$CONTROLLER"
    [ -z "$BLOCK" ] || echo "NVI_INSTANCE_BLOCK=$BLOCK"
    [ -z "$ROOT" ] || echo "NVI_STATE_DIR=$STATE"
    if [ -n "$CA" ]; then
      cp "$CA" "$ETC/console-ca.pem"
      echo "NODE_EXTRA_CA_CERTS=$ETC/console-ca.pem"
    fi
  } >"$ENV_FILE"
  chmod 0600 "$ENV_FILE"
  say "wrote $ENV_FILE (join string, controller ${CONTROLLER}${BLOCK:+, instance block $BLOCK})"
fi
[ -f "$ENV_FILE" ] || die "no $ENV_FILE: give the join string"

# 3. start it, and wait until the console has enrolled it
agent_running() {
  if [ -n "$ROOT" ] || [ ! -d /run/systemd/system ]; then kill -0 "$NEW" 2>/dev/null
  else ! systemctl is-failed --quiet nvi-agent.service; fi
}
agent_log() {
  if [ -n "$ROOT" ] || [ ! -d /run/systemd/system ]; then tail -n 20 "$ROOT/var/log/nvi-agent.log"
  else journalctl -u nvi-agent.service -n 20 -o cat --no-pager 2>/dev/null; fi
}
# the console's refusal as the agent logged it (a used join token, its organization's host limit…), else the log's end
agent_stopped_why() {
  WHY="$(agent_log | sed -n 's/.*"msg":"the console refused this agent","error":"\(.*\)"}$/\1/p' | tail -n 1)"
  echo "${WHY:-its log ends with: $(agent_log | tail -n 3)}"
}
if [ "$START" = 1 ]; then
  if [ -n "$ROOT" ] || [ ! -d /run/systemd/system ]; then
    mkdir -p "$ROOT/var/log" "$ROOT/run"
    # the agent this script started before (an upgrade) stops first; the VEB keeps its flows meanwhile
    OLD="$(cat "$ROOT/run/nvi-agent.pid" 2>/dev/null || true)"
    if [ -n "$OLD" ] && grep -q nvi-agent.cjs "/proc/$OLD/cmdline" 2>/dev/null && kill "$OLD" 2>/dev/null; then
      while kill -0 "$OLD" 2>/dev/null; do sleep 0.2; done
      say "stopped the previous agent (pid $OLD)"
    fi
    (set -a; . "$ENV_FILE"; set +a; exec nohup "$ROOT/usr/lib/nvi-agent/node" --optimize-for-size --max-semi-space-size=1 "$ROOT/usr/lib/nvi-agent/nvi-agent.cjs" >>"$ROOT/var/log/nvi-agent.log" 2>&1) &
    NEW=$!
    echo "$NEW" >"$ROOT/run/nvi-agent.pid"
    sleep 2
    kill -0 "$NEW" 2>/dev/null || die "the agent exited at once ($ROOT/var/log/nvi-agent.log): $(agent_stopped_why)"
    say "started the agent without systemd (pid $NEW, log $ROOT/var/log/nvi-agent.log)"
  else
    systemctl daemon-reload
    systemctl enable nvi-agent.service >/dev/null 2>&1
    systemctl restart nvi-agent.service
    say "started nvi-agent.service (journalctl -u nvi-agent)"
  fi
  i=0
  until [ -f "$STATE/state.json" ] && grep -q '"hostId"' "$STATE/state.json"; do
    i=$((i + 1))
    [ "$i" -le 90 ] || die "not enrolled after 90 s: see the agent's log"
    # the console refused the host for good (a used join token, its organization's host limit…): say why
    agent_running || die "the agent stopped before it enrolled: $(agent_stopped_why)"
    sleep 1
  done
  say "enrolled: $(sed -n 's/.*"hostId": *"\([^"]*\)".*/host \1/p' "$STATE/state.json" | head -n1), online in the console ($CONSOLE/clouds)"
  if [ -z "$BLOCK" ]; then
    BLOCK="$(sed -n 's/.*"instanceBlock": *"\([^"]*\)".*/\1/p' "$STATE/state.json" | head -n1)"
    [ -z "$BLOCK" ] || say "instance block $BLOCK, assigned by the console: the underlay must route it to this host's fabric address"
  fi
fi

CONSOLE_HOSTPORT="$(echo "$CONSOLE" | sed -E 's#^https?://##; s#/.*$##')"
cat <<PORTS
nvi-agent: $("$ROOT/usr/lib/nvi-agent/node" "$ROOT/usr/lib/nvi-agent/nvi-agent.cjs" --version) installed. Ports this host needs open:
  outbound TCP to the console       $CONSOLE_HOSTPORT   (enrollment, heartbeats, commands; the agent only dials out)
  outbound TCP to the controller    ${CONTROLLER#*:}   (OpenFlow over mutual TLS)
  between hosts, both ways          any protocol to this host's fabric address${BLOCK:+ and $BLOCK} from the other hosts
  inbound from the console          nothing
PORTS
