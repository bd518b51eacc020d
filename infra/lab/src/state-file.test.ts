import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readState, runDirOf, statePathOf, withLabLock, writeState, type LabState } from "./state.ts";

let root: string;
const before = process.env.NVI_LAB_ROOT;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "nvi-lab-state-"));
  process.env.NVI_LAB_ROOT = root;
});
afterEach(async () => {
  if (before === undefined) delete process.env.NVI_LAB_ROOT;
  else process.env.NVI_LAB_ROOT = before;
  await rm(root, { recursive: true, force: true });
});

const minimal = (name: string): LabState => ({
  version: 1,
  name,
  phase: "starting",
  createdAt: "2026-11-26T12:00:00.000Z",
  runDir: `/run/nvi-lab/${name}`,
  mgmt: { bridge: `${name}-mg`, subnet: "198.18.0.0/24", tscIp: "198.18.0.1" },
  router: { ns: `${name}-rt` },
  datacenters: [],
  hosts: [],
  instances: [],
});

describe("state file on disk", () => {
  it("is written atomically and read back; a missing one reads as null", async () => {
    expect(await readState("nlzz")).toBeNull();
    await writeState(minimal("nlzz"));
    expect(statePathOf("nlzz")).toBe(path.join(root, "nlzz", "state.json"));
    expect((await readState("nlzz"))?.phase).toBe("starting");
    expect(JSON.parse(await readFile(statePathOf("nlzz"), "utf8")).name).toBe("nlzz");
  });

  it("names the file when it is corrupt", async () => {
    await mkdir(runDirOf("nlzz"), { recursive: true });
    await writeFile(statePathOf("nlzz"), "{}");
    await expect(readState("nlzz")).rejects.toThrow(new RegExp(`${statePathOf("nlzz")} is not a lab state`));
  });
});

describe("lab lock", () => {
  it("serialises writers of one lab", async () => {
    const order: string[] = [];
    const slow = (tag: string) => async () => {
      order.push(`${tag}+`);
      await new Promise((r) => setTimeout(r, 60));
      order.push(`${tag}-`);
    };
    await Promise.all([
      withLabLock("nlzz", slow("a"), { create: true }),
      withLabLock("nlzz", slow("b"), { create: true }),
    ]);
    expect(["a+ a- b+ b-", "b+ b- a+ a-"]).toContain(order.join(" "));
    expect(existsSync(path.join(runDirOf("nlzz"), "lock"))).toBe(false);
  });

  it("takes over a lock whose owner is gone, and gives up on a live one with a readable message", async () => {
    await mkdir(runDirOf("nlzz"), { recursive: true });
    await writeFile(path.join(runDirOf("nlzz"), "lock"), "999999999");
    expect(await withLabLock("nlzz", () => Promise.resolve("ran"))).toBe("ran");
    await writeFile(path.join(runDirOf("nlzz"), "lock"), String(process.pid));
    await expect(withLabLock("nlzz", () => Promise.resolve("ran"), { timeoutMs: 100 })).rejects.toThrow(
      /lab nlzz is busy/,
    );
  });

  it("does not create a run dir for a lab that is not up", async () => {
    expect(await withLabLock("nlyy", () => Promise.resolve(1))).toBe(1);
    expect(existsSync(runDirOf("nlyy"))).toBe(false);
  });
});
