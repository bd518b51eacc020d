#!/bin/sh
# mmdebstrap customize hook of build-debian.sh: turns the bootstrapped tree ($1) into a cloud
# image. Runs on the build host; commands inside the tree go through chroot.
set -eu
R=$1

# cloud-init: NoCloud only (no probing of cloud metadata services, which would time out), network
# rendered for systemd-networkd (no ifupdown in the image), the usual "debian" default user
cat > "$R/etc/cloud/cloud.cfg.d/90-nvi.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
system_info:
  network:
    renderers: [ networkd ]
CFG
# only the modules a lab VM uses: each one is Python imported and run under TCG (locale-gen alone
# takes tens of seconds); user-data's users, keys, passwords, write_files, runcmd, packages still work
cat > "$R/etc/cloud/cloud.cfg.d/91-nvi-modules.cfg" <<'CFG'
cloud_init_modules: [ seed_random, bootcmd, write-files, growpart, resizefs, set_hostname, update_hostname,
  update_etc_hosts, users-groups, ssh ]
cloud_config_modules: [ set-passwords, apt-configure, timezone, runcmd ]
cloud_final_modules: [ package-update-upgrade-install, write-files-deferred, scripts-vendor, scripts-per-once,
  scripts-per-boot, scripts-per-instance, scripts-user, ssh-authkey-fingerprints, keys-to-console,
  final-message, power-state-change ]
CFG

# the guest answered: printed on the serial console once cloud-init is done and the network is up
cat > "$R/usr/local/sbin/nvi-ready" <<'SH'
#!/bin/sh
dev=$(ip -o -4 addr show scope global | awk '{print $2; exit}')
ip=$(ip -o -4 addr show scope global | awk '{print $4; exit}')
mac=$(cat "/sys/class/net/${dev:-eth0}/address")
echo "NVI-GUEST-READY name=$(hostname) ip=$ip mac=$mac uptime=$(cut -d' ' -f1 /proc/uptime)s" > /dev/ttyS0
SH
chmod 755 "$R/usr/local/sbin/nvi-ready"
cat > "$R/etc/systemd/system/nvi-ready.service" <<'UNIT'
[Unit]
Description=Tell the host on ttyS0 that the guest is up (NVI-GUEST-READY)
After=cloud-final.service network-online.target ssh.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/nvi-ready

[Install]
# not multi-user.target: cloud-final runs after it, and a target is ordered after what it wants
WantedBy=cloud-init.target
UNIT

# the initrd was made with build-debian.sh's small module list (essential hook): check it finds its root
chroot "$R" sh -c 'lsinitramfs /boot/initrd.img-*' | grep -q 'virtio_blk.ko' || {
  echo "build-debian: the initrd has no virtio_blk: the guest could not find its root disk" >&2
  exit 1
}

echo 'LABEL=nvi-root / ext4 defaults,noatime 0 1' > "$R/etc/fstab"
chroot "$R" systemctl enable systemd-networkd.service nvi-ready.service >/dev/null 2>&1
# units a short-lived lab VM does not need (each costs seconds under TCG)
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer e2scrub_reap.service; do
  chroot "$R" systemctl disable "$u" >/dev/null 2>&1 || true
done

# per-instance identity is made on first boot, not baked into the image
rm -f "$R"/etc/ssh/ssh_host_*
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
echo localhost > "$R/etc/hostname"
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/log/*.log
