import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detectAccel, GUEST_READY_MARKER, guestOf, listGuests, qemuArgs, waitForGuest } from "./qemu.ts";

const spec = {
  instanceId: "inst_0123456789ABCDEFGHij",
  name: "vm-1",
  runtime: "qemu" as const,
  image: "nvi-busybox",
  command: null,
  cpus: 2,
  memoryMiB: 192,
  mac: "0a:01:02:03:04:05",
  address: "10.40.1.7",
  prefixLen: 24,
  gateway: "10.40.1.1",
};

const vmFiles = {
  pidfile: "/v/qemu.pid",
  console: "/v/console.log",
  overlay: "/v/disk.qcow2",
  seed: "/v/seed.img",
  qga: "/v/qga.sock",
};

describe("the qemu runtime's pure parts", () => {
  it("boots the guest with the spec's CPUs, memory, MAC and addressing, on its tap, daemonized with a pidfile and a serial log", () => {
    const args = qemuArgs(spec, { kernel: "/i/k", initrd: "/i/r" }, vmFiles, "tcg", "nvGHij");
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-smp")).toBe("2");
    expect(after("-m")).toBe("192M");
    expect(after("-accel")).toBe("tcg");
    expect(after("-name")).toBe("nvi-inst_0123456789ABCDEFGHij");
    expect(after("-append")).toContain("nvi.ip=10.40.1.7/24 nvi.gw=10.40.1.1 nvi.mac=0a:01:02:03:04:05");
    expect(after("-netdev")).toBe("tap,id=n0,ifname=nvGHij,script=no,downscript=no");
    expect(after("-device")).toContain("mac=0a:01:02:03:04:05");
    expect(after("-pidfile")).toBe("/v/qemu.pid");
    // the serial port is a socket the agent attaches consoles to, logged to the console file all along
    expect(after("-chardev")).toBe(
      "socket,id=s0,path=/v/serial.sock,server=on,wait=off,logfile=/v/console.log,logappend=on",
    );
    expect(after("-serial")).toBe("chardev:s0");
    expect(args).toContain("-daemonize");
    expect(args).not.toContain("-drive"); // an initramfs guest has no disk
  });

  it("offers the guest no checksum offload where the host's instances talk across clouds, and only there", () => {
    const device = (offload?: boolean) => {
      const options = offload === undefined ? {} : { guestChecksumOffload: offload };
      const args = qemuArgs(spec, { kernel: "/i/k", initrd: "/i/r" }, vmFiles, "tcg", "nvGHij", options);
      return args[args.indexOf("-device") + 1];
    };
    expect(device(false)).toBe("virtio-net-pci,netdev=n0,mac=0a:01:02:03:04:05,romfile=,csum=off");
    expect(device(true)).not.toContain("csum");
    expect(device()).not.toContain("csum");
  });

  it("boots a disk guest on its own overlay with the NoCloud seed, root on vda, the guest agent's channel, the same serial socket and file", () => {
    const args = qemuArgs(spec, { kernel: "/i/k", initrd: "/i/r", disk: "/i/disk.qcow2" }, vmFiles, "tcg", "nvGHij");
    const all = (flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));
    expect(all("-drive")).toEqual([
      "file=/v/disk.qcow2,if=virtio,format=qcow2,discard=unmap",
      "file=/v/seed.img,if=virtio,format=raw,readonly=on",
    ]);
    expect(all("-drive").join(" ")).not.toContain("/i/disk.qcow2"); // never the shared image itself
    expect(all("-append")[0]).toMatch(/^root=\/dev\/vda rw net\.ifnames=0 console=ttyS0/);
    expect(all("-append")[0]).not.toContain("nvi.ip="); // the network comes from the seed
    expect(all("-serial")).toEqual(["chardev:s0"]);
    expect(all("-chardev")).toEqual([
      "socket,id=s0,path=/v/serial.sock,server=on,wait=off,logfile=/v/console.log,logappend=on",
      "socket,id=qga0,path=/v/qga.sock,server=on,wait=off",
    ]);
    expect(all("-smp")).toEqual(["2"]);
    expect(all("-m")).toEqual(["192M"]);
  });

  it("uses KVM only with vmx/svm and /dev/kvm, never on a PVM host", () => {
    expect(detectAccel("fpu vme sse2 vmx", true, false)).toBe("kvm");
    expect(detectAccel("fpu vme sse2 svm", true, false)).toBe("kvm");
    expect(detectAccel("fpu vme sse2", true, true)).toBe("tcg");
    expect(detectAccel("fpu vme vmx", true, true)).toBe("tcg");
    expect(detectAccel("fpu vme vmx", false, false)).toBe("tcg");
  });

  it("an image is a guest name in the image directory; anything else is refused naming the field", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nvi-guests-"));
    await mkdir(path.join(dir, "good"));
    await writeFile(path.join(dir, "good", "vmlinuz"), "k");
    await writeFile(path.join(dir, "good", "initrd"), "r");
    await mkdir(path.join(dir, "half"));
    await writeFile(path.join(dir, "half", "vmlinuz"), "k");
    expect(await guestOf(dir, "good")).toEqual({
      kernel: path.join(dir, "good/vmlinuz"),
      initrd: path.join(dir, "good/initrd"),
    });
    await expect(guestOf(dir, null)).rejects.toThrow(/^image: a qemu instance needs an image/);
    await expect(guestOf(dir, "/etc/passwd")).rejects.toThrow(/^image: "\/etc\/passwd" is not a guest name/);
    await expect(guestOf(dir, "../good")).rejects.toThrow(/not a guest name/);
    await expect(guestOf(dir, "half")).rejects.toThrow(
      /^image: guest half is not on this host .*initrd missing; build it with infra\/images\/build-guest.sh or build-debian.sh half/,
    );
    expect(await listGuests(dir)).toEqual(["good"]);
    await writeFile(path.join(dir, "good", "disk.qcow2"), "q");
    expect((await guestOf(dir, "good")).disk).toBe(path.join(dir, "good/disk.qcow2"));
    expect(await listGuests(path.join(dir, "nothing-here"))).toEqual([]);
  });
});

describe("a VM is started once its guest answers (issue 17, bug 4)", () => {
  const consoleOf = async () => path.join(await mkdtemp(path.join(tmpdir(), "nvi-boot-")), "console.log");

  it("waits for the guest's ready line on the serial console", async () => {
    const file = await consoleOf();
    await writeFile(file, "Linux version 6.1\n");
    const started = Date.now();
    setTimeout(() => void writeFile(file, `booting\nNVI-GUEST: ${GUEST_READY_MARKER} name=vm-1\n`), 300);
    await waitForGuest(file, () => Promise.resolve(true), { timeoutMs: 5_000, pollMs: 20 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("refuses when QEMU died, or when the guest stays silent", async () => {
    const file = await consoleOf();
    await expect(waitForGuest(file, () => Promise.resolve(false), { timeoutMs: 5_000, pollMs: 20 })).rejects.toThrow(
      /exited before its guest answered/,
    );
    await expect(waitForGuest(file, () => Promise.resolve(true), { timeoutMs: 200, pollMs: 20 })).rejects.toThrow(
      /did not answer within/,
    );
  });
});
