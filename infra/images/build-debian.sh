#!/bin/sh
# Builds a Debian 12 (bookworm) cloud image for the agent's qemu runtime from Debian's archive
# alone: mmdebstrap into a directory, `mke2fs -d` into a raw ext4 file, `qemu-img convert` to
# qcow2. No loop device, no mount, no downloaded cloud image, no bootloader.
#
#   infra/images/build-debian.sh [NAME]        (default NAME: nvi-debian12)
#
# Result: $NVI_IMAGE_DIR/NAME/{disk.qcow2,vmlinuz,initrd,stamp}. The agent boots vmlinuz+initrd
# directly with root=/dev/vda on a per-instance copy-on-write overlay of disk.qcow2, and attaches
# a NoCloud seed (hostname, network config, SSH keys, user-data) that cloud-init reads.
# Inside: systemd, cloud-init (NoCloud only, networkd renderer), openssh-server, qemu-guest-agent,
# a getty on ttyS0, and nvi-ready.service, which prints NVI-GUEST-READY on ttyS0 once cloud-init
# has finished and the network is online (the agent's "the guest answered").
#
# Idempotent and cached: the .debs are kept in $NVI_IMAGE_CACHE/debian-debs (default
# /var/cache/nvi/images), an image whose stamp matches this script is left alone, the build runs
# in a temporary directory renamed into place, so an agent never sees half an image.
set -eu

NAME=${1:-nvi-debian12}
IMAGE_DIR=${NVI_IMAGE_DIR:-/var/lib/nvi/images}
CACHE=${NVI_IMAGE_CACHE:-/var/cache/nvi/images}
MIRROR=${NVI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${NVI_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
SIZE=${NVI_DEBIAN_DISK_SIZE:-3G}
case "$NAME" in *[!a-z0-9._-]* | "" | .* ) echo "build-debian: NAME must be lower-case letters, digits, . _ - (got '$NAME')" >&2; exit 2 ;; esac
for tool in mmdebstrap mke2fs qemu-img; do
  command -v "$tool" >/dev/null || { echo "build-debian: $tool missing: apt-get install mmdebstrap e2fsprogs qemu-utils" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-debian: run as root (mmdebstrap keeps file owners for mke2fs -d)" >&2; exit 1; }

# lean: no recommends, no docs; what cloud-init, SSH and the ready signal need
PACKAGES="systemd-sysv udev dbus linux-image-amd64 initramfs-tools cloud-init openssh-server qemu-guest-agent
  iproute2 iputils-ping sudo netbase procps less"
HERE=$(cd "$(dirname "$0")" && pwd)
STAMP="$(cat "$0" "$HERE/debian-customize.sh" | sha256sum | cut -c1-16) $SIZE"
OUT="$IMAGE_DIR/$NAME"
ready() { [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] && [ -f "$OUT/disk.qcow2" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd" ]; }
if ready; then echo "$OUT"; exit 0; fi

mkdir -p "$CACHE/debian-debs" "$IMAGE_DIR"
exec 9>"$CACHE/.build.lock"
flock 9
if ready; then echo "$OUT"; exit 0; fi

WORK=$(mktemp -d "$IMAGE_DIR/.build-$NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"

# shellcheck disable=SC2086
mmdebstrap --variant=minbase --mode=root --format=directory \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/{doc,man,info,locale}/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --include="$(echo $PACKAGES | tr ' ' ',')" \
  --skip=essential/unlink \
  --essential-hook='mkdir -p "$1"/etc/initramfs-tools/conf.d "$1"/usr/share/initramfs-tools/modules.d' \
  --essential-hook='echo MODULES=list > "$1"/etc/initramfs-tools/conf.d/nvi' \
  --essential-hook='printf "%s\n" virtio_pci virtio_blk ext4 > "$1"/usr/share/initramfs-tools/modules.d/nvi' \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in '$CACHE/debian-debs' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$CACHE/debian-debs'" \
  --customize-hook="'$HERE/debian-customize.sh' \"\$1\"" \
  bookworm "$R" \
  "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $SECURITY bookworm-security main" >&2

KVER=$(ls "$R/lib/modules" | sort -V | tail -1)
cp "$R/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cp "$R/boot/initrd.img-$KVER" "$WORK/initrd"
rm -f "$R"/boot/initrd.img-* # the guest boots the copy next to the disk; no bootloader reads /boot
mke2fs -q -t ext4 -L nvi-root -E root_owner=0:0 -d "$R" "$WORK/disk.raw" "$SIZE"
rm -rf "$R"
qemu-img convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
rm -f "$WORK/disk.raw"
echo "$STAMP" > "$WORK/stamp"
chmod 644 "$WORK/disk.qcow2" "$WORK/vmlinuz" "$WORK/initrd"
rm -rf "$OUT.old" && { [ ! -e "$OUT" ] || mv "$OUT" "$OUT.old"; }
mv "$WORK" "$OUT" && rm -rf "$OUT.old"
chmod 755 "$OUT"
echo "$OUT"
