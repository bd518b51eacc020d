import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readHostFacts } from "./host-facts.ts";
import { dockerImagesOf } from "./runtimes/docker.ts";

describe("host facts: the qemu runtime", () => {
  it("is reported only when QEMU answers and the image directory holds a complete guest", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nvi-facts-"));
    expect((await readHostFacts({ imageDir: dir })).runtimes.qemu).toBe(false);
    expect((await readHostFacts({})).runtimes.qemu).toBe(false);
    await mkdir(path.join(dir, "g1"));
    await writeFile(path.join(dir, "g1", "vmlinuz"), "k");
    expect((await readHostFacts({ imageDir: dir })).runtimes.qemu).toBe(false);
    await writeFile(path.join(dir, "g1", "initrd"), "r");
    const qemuInstalled = existsSync("/usr/bin/qemu-system-x86_64");
    expect((await readHostFacts({ imageDir: dir })).runtimes.qemu).toBe(qemuInstalled);
  });

  it("lists the complete guests of the image directory as the host's VM images (issue 17, bug 2)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nvi-facts-"));
    for (const [g, files] of [
      ["nvi-busybox", ["vmlinuz", "initrd"]],
      ["debian-12", ["vmlinuz", "initrd"]],
      ["half", ["vmlinuz"]],
    ] as const) {
      await mkdir(path.join(dir, g));
      for (const f of files) await writeFile(path.join(dir, g, f), "x");
    }
    expect((await readHostFacts({ imageDir: dir })).images.qemu).toEqual(["debian-12", "nvi-busybox"]);
    expect((await readHostFacts({ imageDir: dir })).images.qemuGuestAgent).toEqual([]);
  });

  it("names the guests whose VMs run qemu-guest-agent: the disk images, not the initramfs ones", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nvi-facts-"));
    for (const [g, files] of [
      ["nvi-busybox", ["vmlinuz", "initrd"]],
      ["nvi-debian12", ["vmlinuz", "initrd", "disk.qcow2"]],
      ["half-disk", ["vmlinuz", "disk.qcow2"]],
    ] as const) {
      await mkdir(path.join(dir, g));
      for (const f of files) await writeFile(path.join(dir, g, f), "x");
    }
    const { images } = await readHostFacts({ imageDir: dir });
    expect(images.qemu).toEqual(["nvi-busybox", "nvi-debian12"]);
    expect(images.qemuGuestAgent).toEqual(["nvi-debian12"]);
  });
});

describe("host facts: Docker images", () => {
  it("are the tagged references `docker image ls` lists, sorted, without dangling ones or junk", () => {
    const listing = [
      "local/busybox:latest",
      "<none>:<none>",
      "alpine:3.20",
      "nginx:<none>",
      "--privileged:x",
      "alpine:3.20",
      "",
    ].join("\n");
    expect(dockerImagesOf(listing)).toEqual(["alpine:3.20", "local/busybox:latest"]);
  });
});
