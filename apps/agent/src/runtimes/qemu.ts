import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { InstanceSpec, QEMU_DISK_GUEST_BOOT_MS, QEMU_IMAGE_NAME, QEMU_MIN_MEMORY_MIB } from "@nvi/contracts";
import { listBindings, ofportOf, plugPort, unplugPort, type Runner } from "../veb.ts";
import { hostIfName } from "./netns.ts";
import { checkDiskGuest, DISK_IMAGE_FILE, diskGuestArgs, ensureOverlay, writeSeed } from "./qemu-disk.ts";

/**
 * VMs under QEMU. The instance's port is a persistent tap (named like the other runtimes' host
 * ends) plugged into the VEB with the instance's MAC and IP, exactly like a veth; QEMU opens it
 * and gives the guest a virtio NIC with the same MAC. The guest learns its address, prefix,
 * gateway and MAC from the kernel command line (`nvi.ip=…`, see infra/images/build-guest.sh).
 * QEMU runs daemonized in the agent's network namespace, with a pidfile and the serial console
 * in `<vmDir>/<instanceId>/`. Stopping a VM keeps its definition, tap and port (same MAC, same
 * ofport on resume); removing it deletes all three.
 *
 * Two kinds of guest: a kernel+initrd guest (build-guest.sh's busybox) configured from the
 * kernel command line, and a disk-image guest (build-debian.sh's Debian 12: a `disk.qcow2` next
 * to the kernel) booted on a per-instance overlay with a NoCloud seed (see qemu-disk.ts).
 */
export interface QemuConfig {
  /** guests: `<imageDir>/<image>/vmlinuz` and `<imageDir>/<image>/initrd` */
  imageDir: string;
  /** one directory per instance: spec.json, qemu.pid, console.log */
  vmDir: string;
  accel: "tcg" | "kvm";
  /** how long a start waits for the guest to answer (NVI-GUEST-READY on its serial console); default 90 s, 600 s for a disk guest */
  bootTimeoutMs?: number;
  /**
   * Whether the guest may leave its TX checksums to the host (virtio's `csum`, and with it TSO).
   * Off where the host's instances talk across clouds (offload.ts): a partial checksum that OVS
   * rewrites comes out wrong once a gateway finishes it. Default on.
   */
  guestChecksumOffload?: boolean;
}

/** The config a VM starts with on a host whose instances do (or do not) talk across clouds. */
export const qemuForHost = (config: QemuConfig, crossCloud: boolean): QemuConfig => ({
  ...config,
  guestChecksumOffload: !crossCloud,
});

/** What the guest's init prints on the serial console once its network is up and its services listen. */
export const GUEST_READY_MARKER = "NVI-GUEST-READY";

/**
 * Waits until the guest answers on its serial console (issue 17, bug 4: a VM was "running" seconds
 * before its guest could answer, and the first reachability check failed). Refuses if QEMU dies
 * meanwhile, or if the guest has not answered in time.
 */
export async function waitForGuest(
  consoleFile: string,
  alive: () => Promise<boolean>,
  o: { timeoutMs: number; pollMs?: number },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if ((await readFile(consoleFile, "utf8").catch(() => "")).includes(GUEST_READY_MARKER)) return;
    if (!(await alive())) throw new Error(`the VM's QEMU exited before its guest answered (see ${consoleFile})`);
    if (Date.now() >= deadline)
      throw new Error(`the guest did not answer within ${Math.round(o.timeoutMs / 1000)} s (see ${consoleFile})`);
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
  }
}

/**
 * KVM only when the CPU offers hardware virtualization (vmx/svm) and /dev/kvm exists. PVM hosts
 * (kvm_pvm: a /dev/kvm without vmx/svm) hang on stock guest kernels, so they get TCG. Reads files
 * only: it cannot hang.
 */
export function detectAccel(
  cpuinfo = readCpuFlags(),
  devKvm = existsSync("/dev/kvm"),
  pvm = existsSync("/sys/module/kvm_pvm"),
): "tcg" | "kvm" {
  return devKvm && !pvm && /\b(vmx|svm)\b/.test(cpuinfo) ? "kvm" : "tcg";
}

function readCpuFlags(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  } catch {
    return "";
  }
}

export interface Guest {
  kernel: string;
  initrd: string;
  /** a disk-image guest's base image (the instance boots an overlay of it); absent for initramfs guests */
  disk?: string;
}

/** The guest an `image` names, checked on disk; errors name the field and what is expected. */
export async function guestOf(imageDir: string, image: string | null): Promise<Guest> {
  if (!image)
    throw new Error("image: a qemu instance needs an image (the name of a guest in the host's image directory)");
  if (!QEMU_IMAGE_NAME.test(image))
    throw new Error(
      `image: "${image}" is not a guest name (lower-case letters, digits, . _ -; a name in ${imageDir}, not a path)`,
    );
  const guest: Guest = { kernel: path.join(imageDir, image, "vmlinuz"), initrd: path.join(imageDir, image, "initrd") };
  for (const file of [guest.kernel, guest.initrd]) {
    const s = await stat(file).catch(() => null);
    if (!s?.isFile())
      throw new Error(
        `image: guest ${image} is not on this host (${file} missing; build it with infra/images/build-guest.sh or build-debian.sh ${image})`,
      );
  }
  const disk = path.join(imageDir, image, DISK_IMAGE_FILE);
  return (await stat(disk).catch(() => null))?.isFile() ? { ...guest, disk } : guest;
}

/**
 * The guests whose VMs get a qemu-guest-agent channel (disk images: build-debian.sh's runs the
 * agent), so probes can be sent from inside them; an initramfs guest has none.
 */
export async function listGuestsWithAgent(imageDir: string): Promise<string[]> {
  const names = await listGuests(imageDir);
  const disk = await Promise.all(
    names.map(async (n) => (await guestOf(imageDir, n).catch(() => null))?.disk !== undefined),
  );
  return names.filter((_, i) => disk[i]);
}

/** The guests this host can boot (names of complete guest directories). */
export async function listGuests(imageDir: string): Promise<string[]> {
  const names = await readdir(imageDir).catch(() => [] as string[]);
  const ok = await Promise.all(
    names.map((n) =>
      guestOf(imageDir, n).then(
        () => n,
        () => null,
      ),
    ),
  );
  return ok.filter((n): n is string => n !== null);
}

export const vmName = (instanceId: string): string => `nvi-${instanceId}`;
const filesOf = (vmDir: string, instanceId: string) => {
  const dir = path.join(vmDir, instanceId);
  return {
    dir,
    spec: path.join(dir, "spec.json"),
    pidfile: path.join(dir, "qemu.pid"),
    console: path.join(dir, "console.log"),
    /** a disk guest's copy-on-write disk (backing file: the image's disk.qcow2) */
    overlay: path.join(dir, "disk.qcow2"),
    seed: path.join(dir, "seed.img"),
    qga: path.join(dir, "qga.sock"),
    /** present while the VM is meant to run: the watcher restarts a VM that has it and no QEMU */
    wanted: path.join(dir, "wanted"),
  };
};
export type VmFiles = ReturnType<typeof filesOf>;

/** The command line of one VM (pure: tested on its own). */
export function qemuArgs(
  spec: InstanceSpec,
  guest: Guest,
  files: Pick<VmFiles, "pidfile" | "console" | "overlay" | "seed" | "qga">,
  accel: "tcg" | "kvm",
  tap: string,
  { guestChecksumOffload = true }: Pick<QemuConfig, "guestChecksumOffload"> = {},
): string[] {
  const disk = guest.disk ? diskGuestArgs(files) : null;
  const cmdline = disk?.cmdline ?? [
    "console=ttyS0",
    "quiet",
    "loglevel=3",
    "panic=-1",
    `nvi.ip=${spec.address}/${spec.prefixLen}`,
    `nvi.gw=${spec.gateway}`,
    `nvi.mac=${spec.mac}`,
    `nvi.name=${spec.name}`,
  ];
  return [
    "-name",
    vmName(spec.instanceId),
    "-machine",
    "q35",
    "-accel",
    accel,
    "-cpu",
    accel === "kvm" ? "host" : "max",
    "-smp",
    String(spec.cpus),
    "-m",
    `${spec.memoryMiB}M`,
    "-kernel",
    guest.kernel,
    "-initrd",
    guest.initrd,
    "-append",
    cmdline.join(" "),
    "-display",
    "none",
    "-no-reboot",
    "-daemonize",
    "-pidfile",
    files.pidfile,
    // the serial port as a socket the agent attaches the browser's console to (serial.ts); every
    // byte the guest writes still lands in the console file (NVI-GUEST-READY is read there)
    "-chardev",
    `socket,id=s0,path=${path.join(path.dirname(files.console), "serial.sock")},server=on,wait=off,logfile=${files.console},logappend=on`,
    "-serial",
    "chardev:s0",
    "-netdev",
    `tap,id=n0,ifname=${tap},script=no,downscript=no`,
    "-device",
    `virtio-net-pci,netdev=n0,mac=${spec.mac},romfile=${guestChecksumOffload ? "" : ",csum=off"}`,
    ...(disk?.args ?? []),
  ];
}

/** This instance's QEMU if it runs, with its arguments (a recycled PID or a zombie is not it). */
async function runningQemu(pidfile: string, instanceId: string): Promise<{ pid: number; args: string[] } | null> {
  const pid = Number((await readFile(pidfile, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  const [cmdline, procStat] = await Promise.all([
    readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""),
    readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""),
  ]);
  const state = procStat.slice(procStat.lastIndexOf(")") + 2, procStat.lastIndexOf(")") + 3);
  const args = cmdline.split("\0");
  return args.includes(vmName(instanceId)) && state !== "Z" && state !== "" ? { pid, args } : null;
}

/** The PID of this instance's QEMU if it runs. */
const runningPid = async (pidfile: string, instanceId: string): Promise<number | null> =>
  (await runningQemu(pidfile, instanceId))?.pid ?? null;

/** Whether this VM's running QEMU lets its guest offload TX checksums (null: no QEMU of it runs here). */
export async function vmChecksumOffload(instanceId: string, vmDir: string): Promise<boolean | null> {
  const qemu = await runningQemu(filesOf(vmDir, instanceId).pidfile, instanceId);
  return qemu && !qemu.args.some((a) => a.startsWith("virtio-net-pci,") && a.includes(",csum=off"));
}

/** A signal to a QEMU that may have exited meanwhile: gone already is what we wanted. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** SIGTERM, then SIGKILL after 5 s; returns once the process is gone (a stop that answers has stopped). */
async function kill(pid: number, pidfile: string, instanceId: string): Promise<void> {
  const goneWithin = async (tries: number): Promise<boolean> => {
    for (let i = 0; i < tries && (await runningPid(pidfile, instanceId)); i++)
      await new Promise((r) => setTimeout(r, 100));
    return (await runningPid(pidfile, instanceId)) === null;
  };
  signal(pid, "SIGTERM");
  if (await goneWithin(50)) return;
  signal(pid, "SIGKILL");
  // a loaded host may take a moment to tear a killed QEMU down (seen in CI: still listed right after)
  if (!(await goneWithin(50))) throw new Error(`qemu ${pid} of ${instanceId} is still running after SIGKILL`);
}

function checkSpec(spec: InstanceSpec): void {
  if (spec.memoryMiB < QEMU_MIN_MEMORY_MIB)
    throw new Error(`memoryMiB: a VM needs at least ${QEMU_MIN_MEMORY_MIB} MiB (got ${spec.memoryMiB})`);
  if (spec.cpus < 1) throw new Error(`cpus: at least 1 (got ${spec.cpus})`);
}

/**
 * Boots the VM (or finds it running) and returns its VEB port. Idempotent: a repeated start
 * finds the tap plugged and QEMU running and answers the same ofport; a VM whose QEMU died
 * (stopped, crashed) boots again on the same tap.
 */
export async function startQemu(
  run: Runner,
  bridge: string,
  spec: InstanceSpec,
  config: QemuConfig,
): Promise<{ ofport: number }> {
  checkSpec(spec);
  const guest = await guestOf(config.imageDir, spec.image); // refused before anything is made for it
  if (guest.disk) checkDiskGuest(spec);
  const files = filesOf(config.vmDir, spec.instanceId);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await writeFile(files.spec, JSON.stringify(spec), { mode: 0o600 }); // user-data may hold secrets
  await plugTap(run, bridge, spec);
  await writeFile(files.wanted, "");
  try {
    await launchQemu(run, spec, config);
    // "running" means the guest answered: the operation (and the console's "booting") waits for it
    await waitForGuest(files.console, async () => (await runningPid(files.pidfile, spec.instanceId)) !== null, {
      timeoutMs: config.bootTimeoutMs ?? (guest.disk ? QEMU_DISK_GUEST_BOOT_MS : 90_000),
    });
  } catch (e) {
    await rm(files.wanted, { force: true }); // a start the console sees fail is not restarted behind its back
    throw e;
  }
  return { ofport: await ofportOf(run, hostIfName(spec.instanceId)) };
}

/** The VM's persistent tap, up and plugged into the VEB with its MAC and IP (idempotent). */
async function plugTap(run: Runner, bridge: string, spec: InstanceSpec): Promise<void> {
  const tap = hostIfName(spec.instanceId);
  const elsewhere = (await listBindings(run, bridge)).find((b) => b.instanceId === spec.instanceId && b.port !== tap);
  if (elsewhere) await unplugPort(run, bridge, elsewhere.port);
  const tapKind = await run("ip", ["-d", "link", "show", tap]).catch(() => null);
  if (tapKind !== null && !/\btun type tap\b/.test(tapKind)) await run("ip", ["link", "del", tap]);
  if (tapKind === null || !/\btun type tap\b/.test(tapKind))
    await run("ip", ["tuntap", "add", "dev", tap, "mode", "tap"]);
  await run("ip", ["link", "set", tap, "mtu", "1500", "up"]);
  await plugPort(run, bridge, { port: tap, instanceId: spec.instanceId, mac: spec.mac, ip: spec.address });
}

/**
 * The watcher's restart: the kept definition, its tap plugged again (a host reboot loses it), QEMU
 * started; the guest boots on its own (its overlay, so its disk, is the one it had).
 */
export async function relaunchQemu(run: Runner, bridge: string, instanceId: string, config: QemuConfig): Promise<void> {
  const spec = await keptSpec(instanceId, config);
  await plugTap(run, bridge, spec);
  await launchQemu(run, spec, config);
}

/**
 * Starts this VM's QEMU unless it runs (its tap is already there): the overlay and the seed of a
 * disk guest first. Returns without waiting for the guest; the watcher restarts VMs with this.
 */
export async function launchQemu(run: Runner, spec: InstanceSpec, config: QemuConfig): Promise<boolean> {
  const files = filesOf(config.vmDir, spec.instanceId);
  if (await runningPid(files.pidfile, spec.instanceId)) return false;
  const guest = await guestOf(config.imageDir, spec.image);
  if (guest.disk) {
    await ensureOverlay(run, guest.disk, files.overlay);
    await writeSeed(run, spec, files.seed);
  }
  await rm(files.pidfile, { force: true });
  await rm(files.console, { force: true }); // the last boot's "ready" must not answer for this one
  await run("qemu-system-x86_64", qemuArgs(spec, guest, files, config.accel, hostIfName(spec.instanceId), config));
  if (!(await runningPid(files.pidfile, spec.instanceId)))
    throw new Error(`qemu for ${spec.instanceId} exited right after starting (see ${files.console})`);
  return true;
}

/** Powers the VM off and keeps its definition, tap and port; true if it was running. */
export async function stopQemu(instanceId: string, config: QemuConfig): Promise<boolean> {
  const files = filesOf(config.vmDir, instanceId);
  await rm(files.wanted, { force: true }); // first: the watcher must not bring it back
  const pid = await runningPid(files.pidfile, instanceId);
  if (pid) await kill(pid, files.pidfile, instanceId);
  await rm(files.pidfile, { force: true });
  return pid !== null;
}

/** Boots a stopped VM again from its kept definition: same MAC, same tap, same ofport. */
export async function resumeQemu(
  run: Runner,
  bridge: string,
  instanceId: string,
  config: QemuConfig,
): Promise<{ ofport: number }> {
  return startQemu(run, bridge, await keptSpec(instanceId, config), config);
}

/** The definition a VM was last started with on this host. */
export async function keptSpec(instanceId: string, config: QemuConfig): Promise<InstanceSpec> {
  const raw = await readFile(filesOf(config.vmDir, instanceId).spec, "utf8").catch(() => null);
  if (raw === null) throw new Error(`VM ${instanceId} has no definition on this host (never started here, or removed)`);
  return InstanceSpec.parse(JSON.parse(raw));
}

/** The VMs this host is meant to run, and whether each one's QEMU is alive (the watcher's view). */
export async function wantedVms(config: QemuConfig): Promise<{ instanceId: string; alive: boolean }[]> {
  const ids = await readdir(config.vmDir).catch(() => [] as string[]);
  const out = await Promise.all(
    ids.map(async (instanceId) => {
      const files = filesOf(config.vmDir, instanceId);
      if (!(await stat(files.wanted).catch(() => null))) return null;
      return { instanceId, alive: (await runningPid(files.pidfile, instanceId)) !== null };
    }),
  );
  return out.filter((v) => v !== null);
}

/** Kills the VM, unplugs and deletes its tap, deletes its files. Idempotent. */
export async function removeQemu(run: Runner, bridge: string, instanceId: string, config: QemuConfig): Promise<void> {
  await stopQemu(instanceId, config);
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === instanceId);
  if (plugged) await unplugPort(run, bridge, plugged.port);
  await run("ip", ["link", "del", hostIfName(instanceId)]).catch(() => undefined);
  await rm(filesOf(config.vmDir, instanceId).dir, { recursive: true, force: true });
}

/** A disk guest's qemu-guest-agent channel (absent for an initramfs guest: it has no agent). */
export const qgaSocketOf = (vmDir: string, instanceId: string): string => filesOf(vmDir, instanceId).qga;

/** Where a VM's serial console is written (tests and operators wait for NVI-GUEST-READY there). */
export const consoleLogOf = (vmDir: string, instanceId: string): string => filesOf(vmDir, instanceId).console;
