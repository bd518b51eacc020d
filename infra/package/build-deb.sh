#!/usr/bin/env bash
# Builds nvi-agent_<version>_amd64.deb from this checkout, offline: the agent bundle
# (apps/agent/dist/nvi-agent.cjs), the Node it runs on, the hardened systemd unit, the config file.
#
#   infra/package/build-deb.sh [--out DIR] [--node PATH] [--fast]
#
# --out   where the .deb and install.sh go (default: dist/ at the repo root, where the console
#         serves them from); the .deb's path is the last line printed
# --node  the Node binary to ship (default: the one running this build); must be >= 20.19, x86-64
# --fast  gzip -1 instead of xz (tests: xz of the ~100 MB Node binary takes minutes on 2 cores)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/dist"
NODE_BIN="$(command -v node)"
COMPRESS=(-Zxz -z6)
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --node) NODE_BIN="$2"; shift 2 ;;
    --fast) COMPRESS=(-Zgzip -z1); shift ;;
    *) echo "build-deb.sh: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done

command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }
node "$ROOT/apps/agent/build.mjs" >&2
BUNDLE="$ROOT/apps/agent/dist/nvi-agent.cjs"
VERSION="$(node "$BUNDLE" --version)"
NODE_VERSION="$("$NODE_BIN" -p 'process.versions.node')"
"$NODE_BIN" -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (process.arch !== "x64" || maj < 20 || (maj === 20 && min < 19)) {
    console.error(`build-deb.sh: the Node to ship must be x64 and >= 20.19 (this one: ${process.version} ${process.arch})`);
    process.exit(1);
  }'

STAGE="$(mktemp -d)"
chmod 0755 "$STAGE" # the package root becomes /: never 0700
trap 'rm -rf "$STAGE"' EXIT
install -d -m 0755 "$STAGE/DEBIAN" "$STAGE/usr/lib/nvi-agent" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" \
  "$STAGE/usr/share/doc/nvi-agent" "$STAGE/etc/nvi"
install -m 0755 "$NODE_BIN" "$STAGE/usr/lib/nvi-agent/node"
install -m 0644 "$BUNDLE" "$STAGE/usr/lib/nvi-agent/nvi-agent.cjs"
install -m 0755 "$HERE/debian/nvi-agent" "$STAGE/usr/bin/nvi-agent"
install -m 0644 "$HERE/debian/nvi-agent.service" "$STAGE/lib/systemd/system/nvi-agent.service"
install -m 0600 "$HERE/debian/agent.env" "$STAGE/etc/nvi/agent.env"
install -m 0644 "$ROOT/apps/agent/README.md" "$STAGE/usr/share/doc/nvi-agent/README.md"
for s in postinst prerm postrm; do install -m 0755 "$HERE/debian/$s" "$STAGE/DEBIAN/$s"; done
echo /etc/nvi/agent.env >"$STAGE/DEBIAN/conffiles"
SIZE_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat >"$STAGE/DEBIAN/control" <<CONTROL
Package: nvi-agent
Version: $VERSION
Architecture: amd64
Maintainer: NVI <nvi@localhost>
Installed-Size: $SIZE_KB
Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1, openvswitch-switch, nftables, iproute2, procps, iputils-ping, util-linux
Recommends: docker.io | docker-ce, qemu-system-x86
Section: net
Priority: optional
Description: NVI host agent
 Enrolls this host with an NVI console and owns its Open vSwitch bridge (the VEB):
 instances (Docker, QEMU, network namespaces) plugged into tenant VPCs.
 Ships its own Node $NODE_VERSION in /usr/lib/nvi-agent.
CONTROL
mkdir -p "$OUT"
DEB="$OUT/nvi-agent_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group "${COMPRESS[@]}" --build "$STAGE" "$DEB" >&2
# what the console serves beside the package (NVI_PACKAGE_DIR): the installer, values filled in per request
install -m 0644 "$HERE/install.sh" "$OUT/install.sh"
echo "$DEB"
