#!/bin/sh
# Builds the small VM guest that the agent's qemu runtime boots, without any image registry:
# Debian's own kernel package (apt-get download + dpkg-deb -x) and a busybox initramfs.
#
#   infra/images/build-guest.sh [NAME]        (default NAME: nvi-busybox)
#
# Result: $NVI_IMAGE_DIR/NAME/{vmlinuz,initrd} (NVI_IMAGE_DIR defaults to /var/lib/nvi/images, the
# agent's default), which the qemu runtime launches as `image: "NAME"`. The guest's init reads
# nvi.ip=ADDR/PREFIX, nvi.gw=GATEWAY, nvi.mac=MAC and nvi.name=NAME from the kernel command line,
# configures eth0, serves HTTP on :80 (busybox httpd) and a TCP echo on :7 (busybox nc), prints
# NVI-GUEST-READY on the serial console, then offers a root shell there (no password: reaching the
# serial console is what the console authorizes, per instance).
#
# Idempotent and cached: the kernel .deb is kept in $NVI_IMAGE_CACHE (default /var/cache/nvi/images);
# a guest whose stamp matches this script and kernel is left alone. Output is written to a temporary
# directory and renamed into place, so an agent never sees half a guest.
set -eu

NAME=${1:-nvi-busybox}
IMAGE_DIR=${NVI_IMAGE_DIR:-/var/lib/nvi/images}
CACHE=${NVI_IMAGE_CACHE:-/var/cache/nvi/images}
case "$NAME" in *[!a-z0-9._-]* | "" | .* ) echo "build-guest: NAME must be lower-case letters, digits, . _ - (got '$NAME')" >&2; exit 2 ;; esac
[ -x /bin/busybox ] || { echo "build-guest: /bin/busybox missing: apt-get install busybox-static" >&2; exit 1; }

# the kernel the linux-image-amd64 metapackage points at (override with NVI_GUEST_KERNEL_PKG)
PKG=${NVI_GUEST_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)}
[ -n "$PKG" ] || { echo "build-guest: cannot tell which linux-image package to use (apt-get update?)" >&2; exit 1; }

STAMP="$PKG $(sha256sum "$0" | cut -c1-16)"
OUT="$IMAGE_DIR/$NAME"
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd" ]; then
  echo "$OUT"
  exit 0
fi

# Debian builds the NICs as modules: virtio-net and its dependencies, in load order
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"

mkdir -p "$CACHE" "$IMAGE_DIR"
# one build at a time on this machine (test suites run in parallel); a waiting one finds it done
exec 9>"$CACHE/.build.lock"
flock 9
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd" ]; then
  echo "$OUT"
  exit 0
fi
KDIR="$CACHE/$PKG"
if [ ! -d "$KDIR/boot" ]; then
  DL=$(mktemp -d "$CACHE/dl.XXXXXX")
  (cd "$DL" && apt-get download -q "$PKG" >&2)
  rm -rf "$KDIR.tmp" && mkdir -p "$KDIR.tmp"
  dpkg-deb -x "$DL"/"$PKG"_*.deb "$KDIR.tmp"
  # keep the kernel and the modules the guest loads (≈10 MB instead of ≈400 MB unpacked)
  keep=$(for m in $MODS; do printf ' ! -name %s.ko' "$m"; done)
  # shellcheck disable=SC2086
  find "$KDIR.tmp/lib/modules" -type f $keep -delete
  rm -rf "$KDIR.tmp/usr"
  rm -rf "$DL" "$KDIR" && mv "$KDIR.tmp" "$KDIR"
fi
KVER=$(ls "$KDIR/lib/modules" | head -1)
MODDIR="$KDIR/lib/modules/$KVER/kernel"

WORK=$(mktemp -d "$IMAGE_DIR/.build-$NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/lib/modules" "$R/www" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$R/bin/$a"; done
for m in $MODS; do
  f=$(find "$MODDIR" -name "$m.ko" | head -1)
  [ -n "$f" ] || { echo "build-guest: module $m.ko not found in $PKG (compressed modules are not supported)" >&2; exit 1; }
  cp "$f" "$R/lib/modules/"
done
echo "$MODS" > "$R/etc/modules"
echo '<h1>hello from an NVI VM</h1>' > "$R/www/index.html"
cat > "$R/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
say() { echo "NVI-GUEST: $*" > /dev/console; }
for m in $(cat /etc/modules); do insmod "/lib/modules/$m.ko" 2>/dev/null || say "insmod $m failed"; done
IP=; GW=; MAC=; NAME=guest
for w in $(cat /proc/cmdline); do
  case "$w" in nvi.ip=*) IP=${w#nvi.ip=};; nvi.gw=*) GW=${w#nvi.gw=};; nvi.mac=*) MAC=${w#nvi.mac=};; nvi.name=*) NAME=${w#nvi.name=};; esac
done
hostname "$NAME"
ip link set lo up
for i in $(seq 1 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
[ -n "$MAC" ] && ip link set eth0 address "$MAC"
ip link set eth0 mtu 1500 up
[ -n "$IP" ] && ip addr add "$IP" dev eth0
[ -n "$GW" ] && ip route add default via "$GW" dev eth0
echo "$NAME" > /www/name
httpd -p 80 -h /www
nc -ll -p 7 -e cat &
say "NVI-GUEST-READY name=$NAME ip=$IP mac=$(cat /sys/class/net/eth0/address) uptime=$(cut -d' ' -f1 /proc/uptime)s"
# a root shell on the serial console (the console's "Serial console" reaches it through the agent);
# ttyS0 becomes its controlling terminal (Ctrl-C works), and `exit` gives a fresh one
export HOME=/root PS1='\h:\w# ' TERM=vt100
mkdir -p /root
while true; do
  setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1'
  sleep 1
done
INIT
chmod +x "$R/init"
(cd "$R" && find . | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -9) > "$WORK/initrd"
cp "$KDIR/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
echo "$STAMP" > "$WORK/stamp"
rm -rf "$R"
rm -rf "$OUT.old" && { [ ! -e "$OUT" ] || mv "$OUT" "$OUT.old"; }
mv "$WORK" "$OUT" && rm -rf "$OUT.old"
chmod 755 "$OUT"
echo "$OUT"
