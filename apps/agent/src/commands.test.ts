import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HostCommandBody } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { qgaSocketOf } from "./runtimes/qemu.ts";
import { fakeGuest, honest } from "./test-support/fake-guest-agent.ts";
import { instanceSpec } from "./test-support/spec.ts";
import { runCommand, type RuntimeDriver } from "./commands.ts";
import { readCommand } from "./control-plane.ts";

const spec = instanceSpec();
const noRun = () => Promise.reject(new Error("the fake driver runs nothing"));

function recording(): { calls: string[]; driver: RuntimeDriver } {
  const calls: string[] = [];
  return {
    calls,
    driver: {
      start: (h, s) =>
        Promise.resolve(void calls.push(`start ${s.instanceId} on ${h.bridge}`)).then(() => ({ ofport: 7 })),
      stop: (_h, id) => Promise.resolve(void calls.push(`stop ${id}`)).then(() => ({ ofport: 7 })),
      resume: (_h, s) => Promise.resolve(void calls.push(`resume ${s.instanceId}`)).then(() => ({ ofport: 8 })),
      remove: (_h, id) => Promise.resolve(void calls.push(`remove ${id}`)),
    },
  };
}

describe("the agent's command dispatch", () => {
  it("sends each command kind to its runtime's driver and answers with the port", async () => {
    const { calls, driver } = recording();
    const run = (body: HostCommandBody) => runCommand(noRun, "br-veb", body, { hostId: "host_1" }, { netns: driver });
    expect(await run({ kind: "instance.start", spec })).toEqual({ ok: true, ofport: 7 });
    expect(await run({ kind: "instance.stop", instanceId: "inst_1", runtime: "netns" })).toEqual({
      ok: true,
      ofport: 7,
    });
    expect(await run({ kind: "instance.resume", spec })).toEqual({ ok: true, ofport: 8 });
    expect(await run({ kind: "instance.remove", instanceId: "inst_1", runtime: "netns" })).toEqual({ ok: true });
    expect(calls).toEqual(["start inst_1 on br-veb", "stop inst_1", "resume inst_1", "remove inst_1"]);
  });

  it("a runtime without a driver is refused clearly (removing one of its instances is a no-op)", async () => {
    const host = { hostId: "host_1" };
    const qemu = { ...spec, runtime: "qemu" as const };
    expect(await runCommand(noRun, "br-veb", { kind: "instance.resume", spec: qemu }, host, {})).toEqual({
      ok: false,
      error: "the qemu runtime is not supported by this agent version yet",
    });
    expect(
      await runCommand(noRun, "br-veb", { kind: "instance.stop", instanceId: "i", runtime: "qemu" }, host, {}),
    ).toMatchObject({ ok: false });
    expect(
      await runCommand(noRun, "br-veb", { kind: "instance.remove", instanceId: "i", runtime: "qemu" }, host, {}),
    ).toEqual({ ok: true });
  });

  it("a driver's failure is the command's answer, and no VEB means no plumbing", async () => {
    const { driver } = recording();
    const broken = { netns: { ...driver, stop: () => Promise.reject(new Error("ip: permission denied")) } };
    expect(
      await runCommand(
        noRun,
        "br-veb",
        { kind: "instance.stop", instanceId: "i", runtime: "netns" },
        { hostId: "h" },
        broken,
      ),
    ).toEqual({ ok: false, error: "ip: permission denied" });
    expect(await runCommand(noRun, null, { kind: "instance.resume", spec }, { hostId: "h" }, broken)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/does not own a VEB/),
    });
  });
});

describe("commands from a newer console", () => {
  it("a kind this agent does not know is answered as a failure naming it; known ones still parse", () => {
    expect(readCommand({ id: "hcmd_1", body: { kind: "instance.migrate", instanceId: "i" } })).toEqual({
      id: "hcmd_1",
      unknown: "this agent version does not know the command instance.migrate: upgrade the agent",
    });
    expect(readCommand({ id: "hcmd_2", body: { kind: "instance.stop", instanceId: "i", runtime: "netns" } })).toEqual({
      id: "hcmd_2",
      body: { kind: "instance.stop", instanceId: "i", runtime: "netns" },
    });
  });
});

describe("a probe from a VM", () => {
  const probe = {
    instanceId: "inst_vm1",
    runtime: "qemu" as const,
    target: "10.0.2.7",
    protocol: "icmp" as const,
    port: null,
  };
  it("goes through the guest agent on the VM's channel, never through a namespace command", async () => {
    const vmDir = await mkdtemp(path.join(tmpdir(), "nvi-vms-"));
    const guest = await fakeGuest(
      { answer: honest({ stdout: "3 packets transmitted, 3 received\nrtt min/avg/max/mdev = 1/2/3/0 ms\n" }) },
      qgaSocketOf(vmDir, probe.instanceId),
    );
    try {
      const answer = await runCommand(
        noRun,
        "br-veb",
        { kind: "instance.probe", probe },
        { hostId: "h", qemu: { imageDir: vmDir, vmDir, accel: "tcg" } },
      );
      expect(answer).toMatchObject({ ok: true, probe: { result: "open", rttMs: 2 } });
      expect(guest.requests.map((r) => r.execute)).toContain("guest-exec");
    } finally {
      await guest.close();
      await rm(vmDir, { recursive: true, force: true });
    }
  });
  it("on an agent without the qemu runtime it answers why", async () => {
    expect(await runCommand(noRun, "br-veb", { kind: "instance.probe", probe }, { hostId: "h" })).toEqual({
      ok: false,
      error: "this agent has no qemu runtime configured",
    });
  });
});
