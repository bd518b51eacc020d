import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CrossCloudOffload } from "./offload.ts";
import { vmName } from "./qemu.ts";

/**
 * The sweep over instances plugged on a host whose instances talk across clouds, for VMs: real
 * processes stand in for QEMU (their arguments are what the agent reads in /proc), one started
 * with `csum=off`, one without. No netns or container is touched.
 */
const children: number[] = [];
let vmDir = "";
afterEach(async () => {
  for (const pid of children.splice(0)) process.kill(pid, "SIGKILL");
  if (vmDir) await rm(vmDir, { recursive: true, force: true });
});

/** A stand-in QEMU for `instanceId` with this virtio-net device, its pidfile where the agent keeps it. */
async function fakeVm(instanceId: string, device: string): Promise<void> {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)", vmName(instanceId), device], {
    stdio: "ignore",
  });
  await new Promise((resolve) => child.once("spawn", resolve));
  children.push(child.pid!);
  await mkdir(path.join(vmDir, instanceId), { recursive: true });
  await writeFile(path.join(vmDir, instanceId, "qemu.pid"), `${child.pid}\n`);
}

describe("CrossCloudOffload on VMs", () => {
  it("names a VM still running with checksum offload (once), leaves one started without it alone, runs nothing in either", async () => {
    vmDir = await mkdtemp(path.join(os.tmpdir(), "nvi-offload-"));
    await fakeVm("inst_old", "virtio-net-pci,netdev=n0,mac=0a:00:00:00:00:01,romfile=");
    await fakeVm("inst_new", "virtio-net-pci,netdev=n0,mac=0a:00:00:00:00:02,romfile=,csum=off");
    const ran: string[] = [];
    const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const offload = new CrossCloudOffload({
      run: (cmd, args) => {
        ran.push([cmd, ...args].join(" "));
        return Promise.resolve("");
      },
      vmDir,
      log: (level, msg, fields) => void logged.push({ level, msg, ...(fields ? { fields } : {}) }),
    });
    await offload.sweep(["inst_old", "inst_new"], () => false);
    await offload.sweep(["inst_old", "inst_new"], () => false);
    expect(logged.filter((l) => l.level === "warn").map((l) => l.fields?.instanceId)).toEqual(["inst_old"]);
    // only the namespaces were listed (once: both VMs were settled by the first sweep); no ethtool, no docker
    expect(ran).toEqual(["ip netns list"]);
  });
});
