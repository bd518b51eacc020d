import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { labDown, labUp, hostRunner, run, type LabState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labVmConfig } from "../test-support/vm-lab.ts";
import { listBindings, type Runner } from "../veb.ts";
import {
  consoleLogOf,
  relaunchQemu,
  removeQemu,
  resumeQemu,
  startQemu,
  stopQemu,
  wantedVms,
  type QemuConfig,
} from "./qemu.ts";
import { VmWatcher } from "./qemu-watch.ts";
import { instanceSpec } from "../test-support/spec.ts";

/**
 * A real VM on a real lab host: QEMU (TCG) started through the host's runner, its tap on the
 * host's Open vSwitch VEB. Boots the guest that infra/images/build-guest.sh makes (built here
 * when missing, cached after).
 */
let lab: LabState;
let inHost: Runner;
let config: QemuConfig;
const name = `nvq${Math.random().toString(36).slice(2, 6)}`;
const GUEST = "nvi-busybox";
const spec = instanceSpec({
  instanceId: "inst_qemuLifecycle0001",
  name: "vm-life",
  runtime: "qemu",
  image: GUEST,
  memoryMiB: 128,
  mac: "0a:42:00:00:00:07",
  address: "10.61.0.7",
  gateway: "10.61.0.1",
});

const crashy = {
  ...spec,
  instanceId: "inst_qemuWatcher00001",
  name: "vm-crash",
  mac: "0a:42:00:00:00:08",
  address: "10.61.0.8",
};

async function bootedOnce(file: string, ms = 90_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if ((await readFile(file, "utf8").catch(() => "")).includes("NVI-GUEST-READY")) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `no NVI-GUEST-READY in ${file} after ${ms} ms:\n${await readFile(file, "utf8").catch(() => "(no console log)")}`,
  );
}

const netnsOf = async (pid: number) => (await run("readlink", [`/proc/${pid}/ns/net`])).trim();
const pidOf = async () => Number((await readFile(path.join(config.vmDir, spec.instanceId, "qemu.pid"), "utf8")).trim());
const tapInHost = () =>
  run("ip", ["-n", lab.hosts[0]!.ns, "-d", "link", "show", `nv${spec.instanceId.slice(-10)}`]).then(
    (o) => o,
    () => null,
  );

beforeAll(async () => {
  await promisify(execFile)(path.resolve(import.meta.dirname, "../../../../infra/images/build-guest.sh"), [GUEST], {
    timeout: 300_000,
  });
  lab = await labUp({ name, datacenters: 1, hostsPerDc: 1 });
  inHost = hostRunner(lab.hosts[0]!);
  config = labVmConfig(lab.runDir);
});
afterAll(async () => {
  for (const id of [spec.instanceId, crashy.instanceId])
    if (config) await removeQemu(inHost, lab.hosts[0]!.bridge, id, config).catch(() => undefined);
  if (lab) await labDown(lab.name, { force: true });
});

describe("a VM on a lab host's VEB", () => {
  it("boots, answers a repeated start with the same port, stops keeping its port, resumes on it, and is removed without a trace", async () => {
    const host = lab.hosts[0]!;
    const t0 = Date.now();
    const { ofport } = await startQemu(inHost, host.bridge, spec, config);
    const startMs = Date.now() - t0;
    expect(ofport).toBeGreaterThan(0);
    await bootedOnce(consoleLogOf(config.vmDir, spec.instanceId));
    console.log(`VM: startQemu returned in ${startMs} ms; NVI-GUEST-READY ${Date.now() - t0} ms after the start`);
    const pid = await pidOf();
    expect(await netnsOf(pid)).toBe(
      await run("ip", ["netns", "exec", host.ns, "readlink", "/proc/self/ns/net"]).then((s) => s.trim()),
    );
    expect(await tapInHost()).toMatch(/tun type tap/);
    expect(await listBindings(inHost, host.bridge)).toContainEqual({
      port: `nv${spec.instanceId.slice(-10)}`,
      instanceId: spec.instanceId,
      mac: spec.mac,
      ip: spec.address,
    });
    expect(await readFile(consoleLogOf(config.vmDir, spec.instanceId), "utf8")).toMatch(
      /NVI-GUEST-READY name=vm-life ip=10\.61\.0\.7\/24 mac=0a:42:00:00:00:07/,
    );

    expect(await startQemu(inHost, host.bridge, spec, config)).toEqual({ ofport });
    expect(await pidOf()).toBe(pid);

    expect(await stopQemu(spec.instanceId, config)).toBe(true);
    expect(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).not.toContain(spec.instanceId);
    expect(await stopQemu(spec.instanceId, config)).toBe(false);
    expect(await tapInHost()).toMatch(/tun type tap/);

    expect(await resumeQemu(inHost, host.bridge, spec.instanceId, config)).toEqual({ ofport });
    expect(await pidOf()).not.toBe(pid);
    await bootedOnce(consoleLogOf(config.vmDir, spec.instanceId));

    await removeQemu(inHost, host.bridge, spec.instanceId, config);
    await removeQemu(inHost, host.bridge, spec.instanceId, config);
    expect(await tapInHost()).toBeNull();
    expect((await listBindings(inHost, host.bridge)).map((b) => b.instanceId)).not.toContain(spec.instanceId);
    expect((await run("ip", ["netns", "pids", host.ns])).split("\n").map(Number)).not.toContain(
      await pidOf().catch(() => -1),
    );
    await expect(resumeQemu(inHost, host.bridge, spec.instanceId, config)).rejects.toThrow(
      /has no definition on this host/,
    );
  });
});

describe("the VM watcher on a lab host", () => {
  it("restarts a VM whose QEMU was killed (same tap and port, logged), and leaves a VM stopped on purpose alone", async () => {
    const host = lab.hosts[0]!;
    const lines: string[] = [];
    const watcher = new VmWatcher({
      list: () => wantedVms(config),
      restart: (id) => relaunchQemu(inHost, host.bridge, id, config),
      log: (level, msg, fields) => lines.push(`${level} ${msg} ${JSON.stringify(fields)}`),
      baseBackoffMs: 200,
    });
    const { ofport } = await startQemu(inHost, host.bridge, crashy, config);
    const pidfile = path.join(config.vmDir, crashy.instanceId, "qemu.pid");
    const pid = Number((await readFile(pidfile, "utf8")).trim());
    expect(await watcher.tick()).toEqual([]); // alive: nothing to do

    process.kill(pid, "SIGKILL"); // QEMU dies under the VM
    const t0 = Date.now();
    let restarted: string[] = [];
    while (restarted.length === 0 && Date.now() - t0 < 10_000) {
      restarted = await watcher.tick();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(restarted).toEqual([crashy.instanceId]);
    expect(lines.join("\n")).toMatch(/warn vm watcher: QEMU died .*inst_qemuWatcher00001/);
    expect(lines.join("\n")).toMatch(/info vm watcher: restarted a VM whose QEMU died .*inst_qemuWatcher00001/);
    const again = Number((await readFile(pidfile, "utf8")).trim());
    expect(again).not.toBe(pid);
    await bootedOnce(consoleLogOf(config.vmDir, crashy.instanceId));
    expect((await listBindings(inHost, host.bridge)).find((b) => b.instanceId === crashy.instanceId)).toMatchObject({
      port: `nv${crashy.instanceId.slice(-10)}`,
    });
    expect(await startQemu(inHost, host.bridge, crashy, config)).toEqual({ ofport });

    // stopped on purpose: not wanted any more, never brought back
    expect(await stopQemu(crashy.instanceId, config)).toBe(true);
    expect(await wantedVms(config)).not.toContainEqual(expect.objectContaining({ instanceId: crashy.instanceId }));
    expect(await watcher.tick()).toEqual([]);
    await removeQemu(inHost, host.bridge, crashy.instanceId, config);
  });
});
