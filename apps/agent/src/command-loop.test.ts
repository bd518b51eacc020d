import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CommandResult } from "@nvi/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { commandLoop } from "./command-loop.ts";
import type { PolledCommand } from "./control-plane.ts";
import { instanceSpec } from "./test-support/spec.ts";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe("the agent's command loop", () => {
  it("answers a probe on one instance while another instance's start is still running", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-cmdloop-"));
    // instance a's start hangs at `ip netns add` (a VM booting under TCG) until the test lets it go
    let letStartEnd = () => {};
    const startHangs = new Promise<void>((r) => (letStartEnd = r));
    let startBegan = false;
    const run = async (cmd: string, args: readonly string[]) => {
      if (cmd === "ip" && args.join(" ") === "netns add nvi-inst_a") {
        startBegan = true;
        await startHangs;
      }
      // the VEB gives the plugged port a number at once
      return cmd === "ovs-vsctl" && args.at(-1) === "ofport" ? "7" : "";
    };
    const handout: PolledCommand[][] = [
      [{ id: "cmd_start", body: { kind: "instance.start", spec: instanceSpec({ instanceId: "inst_a" }) } }],
    ];
    const polls: { running: string[] }[] = [];
    const results = new Map<string, CommandResult>();
    let stopping = false;
    const loop = commandLoop({
      api: {
        commands: (_credential, _inventory, _resume, running = []) => {
          polls.push({ running });
          return Promise.resolve({ commands: handout.shift() ?? [], missing: [] });
        },
        result: (_credential, id, result) => {
          results.set(id, result);
          return Promise.resolve({ recorded: true as const });
        },
      },
      credential: () => "cred",
      run,
      bridge: "br-test",
      hostId: "host_1",
      qemu: { imageDir: dir, vmDir: path.join(dir, "vms"), accel: "tcg" },
      crossCloud: () => false,
      stopping: () => stopping,
      log: () => {},
      pollMs: 10,
    });
    await until(() => startBegan);
    handout.push([
      {
        id: "cmd_probe",
        body: {
          kind: "instance.probe",
          probe: { instanceId: "inst_b", runtime: "netns", protocol: "icmp", target: "10.0.0.3", port: null },
        },
      },
    ]);
    await until(() => results.has("cmd_probe"));
    expect(results.has("cmd_start")).toBe(false);
    // meanwhile every poll names the start as still running: the console does not hand it out again
    expect(polls.length).toBeGreaterThan(1);
    expect(polls.slice(1).every((p) => p.running.includes("cmd_start"))).toBe(true);
    letStartEnd();
    await until(() => results.has("cmd_start"));
    expect(results.get("cmd_start")).toEqual({ ok: true, ofport: 7 });
    stopping = true;
    await loop;
  });
});
