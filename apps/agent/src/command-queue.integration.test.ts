import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { CommandResult } from "@nvi/contracts";
import { labDown, labUp, hostRunner, type LabState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labVmConfig } from "./test-support/vm-lab.ts";
import { CommandQueue } from "./command-queue.ts";
import { runCommand } from "./commands.ts";
import { removeNetns } from "./runtimes/netns.ts";
import { removeQemu, type QemuConfig } from "./runtimes/qemu.ts";
import { instanceSpec } from "./test-support/spec.ts";
import type { Runner } from "./veb.ts";

/**
 * The command queue on a real lab host: a Debian 12 VM booting under TCG (minutes) holds its own
 * lane only; a netns instance of the same host is started and probed meanwhile through the real
 * runtimes, and the probe's answer is reported while the VM's start is still running.
 */
const IMAGE = "nvi-debian12";
const name = `nvc${Math.random().toString(36).slice(2, 6)}`;
let lab: LabState;
let inHost: Runner;
let config: QemuConfig;
const vm = instanceSpec({
  instanceId: "inst_cmdQueueVm000001",
  name: "vm-slow",
  runtime: "qemu",
  image: IMAGE,
  memoryMiB: 512,
  mac: "0a:43:00:00:00:09",
  address: "10.63.0.9",
  gateway: "10.63.0.1",
});
const ns = instanceSpec({
  instanceId: "inst_cmdQueueNs000001",
  name: "ns-quick",
  mac: "0a:43:00:00:00:0a",
  address: "10.63.0.10",
  gateway: "10.63.0.1",
});
const prefix = `${name}-`;

beforeAll(async () => {
  await promisify(execFile)(path.resolve(import.meta.dirname, "../../../infra/images/build-debian.sh"), [IMAGE], {
    timeout: 1_200_000,
  });
  lab = await labUp({ name, datacenters: 1, hostsPerDc: 1 });
  // network namespace only, as the agent lives: the netns instances it adds stay visible
  inHost = hostRunner(lab.hosts[0]!, { networkOnly: true });
  config = labVmConfig(lab.runDir);
}, 1_300_000);
afterAll(async () => {
  const bridge = lab?.hosts[0]?.bridge;
  if (bridge && config) {
    await removeQemu(inHost, bridge, vm.instanceId, config).catch(() => undefined);
    await removeNetns(inHost, bridge, ns.instanceId, prefix).catch(() => undefined);
  }
  if (lab) await labDown(lab.name, { force: true });
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the command queue on a lab host", () => {
  it("answers a probe on a netns instance while a VM of the same host is still booting", async () => {
    const host = lab.hosts[0]!;
    const reports = new Map<string, { result: CommandResult; vmStarting: boolean; at: number }>();
    const queue: CommandQueue = new CommandQueue({
      run: (body) => runCommand(inHost, host.bridge, body, { hostId: "host_lab", netnsPrefix: prefix, qemu: config }),
      report: (id, result) => {
        reports.set(id, { result, vmStarting: queue.busy(vm.instanceId), at: Date.now() });
        return Promise.resolve();
      },
      log: () => {},
    });
    const t0 = Date.now();
    queue.add([{ id: "cmd_vm", body: { kind: "instance.start", spec: vm } }]);
    // QEMU runs: the guest boots (minutes under TCG)
    await until(
      () =>
        access(path.join(config.vmDir, vm.instanceId, "qemu.pid")).then(
          () => true,
          () => false,
        ),
      "QEMU to start",
    );
    queue.add([{ id: "cmd_ns", body: { kind: "instance.start", spec: ns } }]);
    await until(() => reports.has("cmd_ns"), "the netns start");
    expect(reports.get("cmd_ns")?.result, JSON.stringify([...reports])).toMatchObject({ ok: true });
    queue.add([
      {
        id: "cmd_probe",
        body: {
          kind: "instance.probe",
          probe: { instanceId: ns.instanceId, runtime: "netns", protocol: "icmp", target: ns.address, port: null },
        },
      },
    ]);
    await until(() => reports.has("cmd_probe"), "the probe");
    const probe = reports.get("cmd_probe")!;
    expect(probe.result).toMatchObject({ ok: true, probe: { result: "open" } });
    expect(probe.vmStarting).toBe(true);
    expect(reports.has("cmd_vm")).toBe(false);
    console.log(`probe answered ${probe.at - t0} ms after the VM's start began, while the VM was still booting`);
    // the boot is not this test's: QEMU goes away and the start answers with that
    await removeQemu(inHost, host.bridge, vm.instanceId, config);
    await queue.drained();
    expect(reports.get("cmd_vm")?.result).toMatchObject({ ok: false });
  }, 300_000);
});
