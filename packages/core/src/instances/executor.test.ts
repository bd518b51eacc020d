import { QEMU_DISK_GUEST_BOOT_MS, QEMU_START_COMMAND_TIMEOUT_MS, type InstanceSpec } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { commandTimeoutOf } from "./executor.ts";

const spec = (runtime: InstanceSpec["runtime"]): InstanceSpec => ({
  instanceId: "inst_0123456789ABCDEFGHij",
  name: "x",
  runtime,
  image: runtime === "qemu" ? "nvi-debian12" : null,
  command: null,
  cpus: 1,
  memoryMiB: 512,
  mac: "0a:01:02:03:04:05",
  address: "10.0.0.5",
  prefixLen: 24,
  gateway: "10.0.0.1",
});

describe("how long the console waits for an agent's answer", () => {
  it("waits for a VM's boot on its start and resume (minutes under TCG), the worker's setting otherwise", () => {
    const o = { commandTimeoutMs: 120_000 };
    expect(commandTimeoutOf({ kind: "instance.start", spec: spec("qemu") }, o)).toBe(QEMU_START_COMMAND_TIMEOUT_MS);
    expect(commandTimeoutOf({ kind: "instance.resume", spec: spec("qemu") }, o)).toBe(QEMU_START_COMMAND_TIMEOUT_MS);
    expect(QEMU_START_COMMAND_TIMEOUT_MS).toBeGreaterThan(QEMU_DISK_GUEST_BOOT_MS); // more than the agent waits for the guest
    expect(commandTimeoutOf({ kind: "instance.start", spec: spec("netns") }, o)).toBe(120_000);
    expect(commandTimeoutOf({ kind: "instance.remove", instanceId: "inst_x", runtime: "qemu" }, o)).toBe(120_000);
    expect(commandTimeoutOf({ kind: "instance.start", spec: spec("qemu") }, { commandTimeoutMs: 900_000 })).toBe(
      900_000,
    );
    expect(commandTimeoutOf({ kind: "instance.stop", instanceId: "inst_x", runtime: "netns" }, {})).toBe(120_000);
  });
});
