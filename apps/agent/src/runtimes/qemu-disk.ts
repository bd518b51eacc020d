import { mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { InstanceSpec } from "@nvi/contracts";
import type { Runner } from "../veb.ts";

/**
 * Disk-image guests (infra/images/build-debian.sh): the image's kernel and initrd are booted
 * directly with `root=/dev/vda` on a per-instance copy-on-write overlay of the image's
 * `disk.qcow2`, and a NoCloud seed (a small FAT disk labelled CIDATA) tells cloud-init the
 * instance's hostname, static network, SSH keys and user-data. Everything in the seed is data
 * for cloud-init: meta-data and network-config are written as JSON (which YAML reads as is), so no
 * value from the console can add a key or a line of its own; user-data is the user's, as given.
 */
export const DISK_IMAGE_FILE = "disk.qcow2";
/** Debian with systemd and cloud-init does not boot in less (the busybox guest needs 64). */
export const DISK_GUEST_MIN_MEMORY_MIB = 256;

export function checkDiskGuest(spec: InstanceSpec): void {
  if (spec.memoryMiB < DISK_GUEST_MIN_MEMORY_MIB)
    throw new Error(
      `memoryMiB: a disk-image VM (${spec.image}) needs at least ${DISK_GUEST_MIN_MEMORY_MIB} MiB (got ${spec.memoryMiB})`,
    );
}

/** The NoCloud seed's files (pure: tested on its own). */
export function seedFiles(spec: InstanceSpec): Record<"meta-data" | "network-config" | "user-data", string> {
  const metaData = {
    "instance-id": spec.instanceId,
    "local-hostname": spec.name,
    "public-keys": spec.sshKeys ?? [],
  };
  // network-config v2, matched by MAC: the address the console assigned, its gateway, MTU 1500
  const networkConfig = {
    version: 2,
    ethernets: {
      eth0: {
        match: { macaddress: spec.mac },
        addresses: [`${spec.address}/${spec.prefixLen}`],
        routes: [{ to: "0.0.0.0/0", via: spec.gateway }],
        mtu: 1500,
      },
    },
  };
  return {
    "meta-data": `${JSON.stringify(metaData, null, 2)}\n`,
    "network-config": `${JSON.stringify(networkConfig, null, 2)}\n`,
    // cloud-init wants some user-data; an empty cloud-config changes nothing
    "user-data": spec.userData ?? "#cloud-config\n{}\n",
  };
}

/**
 * Writes the seed disk (`mkfs.vfat` + `mcopy`: no mount, no loop device) to `file`, replacing it
 * atomically. Rewritten on every boot, so a changed spec reaches the guest (cloud-init applies
 * per-instance settings once per instance-id).
 */
export async function writeSeed(run: Runner, spec: InstanceSpec, file: string): Promise<void> {
  const dir = await mkdtemp(`${file}.tmp-`);
  try {
    const names = Object.entries(seedFiles(spec));
    for (const [name, text] of names) await writeFile(path.join(dir, name), text, { mode: 0o600 });
    const img = path.join(dir, "seed.img");
    await run("mkfs.vfat", ["-n", "CIDATA", "-C", img, "1024"]);
    await run("mcopy", ["-i", img, ...names.map(([name]) => path.join(dir, name)), "::"]);
    await rename(img, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The instance's overlay: created once (`qemu-img create -b <image>`), kept across stop/resume
 * and restarts (it is the VM's disk), deleted with the instance's directory on removal.
 */
export async function ensureOverlay(run: Runner, backing: string, overlay: string): Promise<void> {
  if ((await stat(overlay).catch(() => null))?.isFile()) return;
  const tmp = `${overlay}.tmp`;
  await rm(tmp, { force: true });
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, tmp]);
  await rename(tmp, overlay);
}

/** QEMU's arguments for the disks, the guest agent's channel and the kernel command line of a disk guest. */
export function diskGuestArgs(files: { overlay: string; seed: string; qga: string }): {
  cmdline: string[];
  args: string[];
} {
  return {
    cmdline: ["root=/dev/vda", "rw", "net.ifnames=0", "console=ttyS0", "quiet", "loglevel=3", "panic=-1"],
    args: [
      "-drive",
      `file=${files.overlay},if=virtio,format=qcow2,discard=unmap`,
      "-drive",
      `file=${files.seed},if=virtio,format=raw,readonly=on`,
      "-device",
      "virtio-rng-pci",
      // qemu-guest-agent's channel (the guest runs it; the host side is a socket in the VM's directory)
      "-chardev",
      `socket,id=qga0,path=${files.qga},server=on,wait=off`,
      "-device",
      "virtio-serial-pci",
      "-device",
      "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
    ],
  };
}
