import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readHostFacts } from "./host-facts.ts";

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
});
