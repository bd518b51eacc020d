import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { recordingPlane, scriptedAgent, work } from "../test-support/agent.ts";
import { cloudWithHost, codeOf, hostFacts, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { launchInstance } from "./instances.ts";
import { checkReachability } from "./reachability.ts";

/**
 * Issue 17, bug 4: a VM was offered as a probe source, and the probe failed after the agent's wait.
 * Now a VM whose guest runs qemu-guest-agent is a source (the agent probes through it); one whose
 * guest has none, or that is still booting, is refused at once, saying why. Real Postgres, the real command channel, a real BullMQ queue (not consumed).
 */
let ctx: Ctx;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("probe-vm");
  queue = testQueue("probe-vm");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

async function vmWorld(hostname: string) {
  const { cloudId, host } = await cloudWithHost(ctx, { hostname, cloud: `dc-${hostname}` });
  // the host boots two guests; only the disk image's VMs run qemu-guest-agent
  const facts = hostFacts(hostname, {
    runtimes: { docker: false, qemu: true, netns: true },
    images: { docker: [], qemu: ["nvi-busybox", "nvi-debian12"], qemuGuestAgent: ["nvi-debian12"] },
  });
  await ctx.db.host.update({ where: { id: host.id }, data: { facts, lastSeenAt: new Date() } });
  const vpc = await createVpc(ctx, { name: `vms-${hostname}`, cidr: "10.97.0.0/16", allowOverlap: true });
  const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "s", cidr: "10.97.1.0/24" });
  const agent = scriptedAgent(ctx, host, (b, n) =>
    b.kind === "instance.probe"
      ? { ok: true, probe: { result: "open", rttMs: 1.5, detail: "3/3 echo replies from 10.97.1.9" } }
      : { ok: true, ...(b.kind === "instance.start" ? { ofport: 10 + n } : {}) },
  );
  const vm = async (name: string, image: string) => {
    const l = await launchInstance(ctx, queue, {
      name,
      subnetId: sn.id,
      hostId: host.id,
      runtime: "qemu",
      image,
      cpus: 1,
      memoryMiB: 512,
    });
    const op = await work(ctx, l.operationId, agent, recordingPlane().plane);
    expect(op.status, op.error ?? "").toBe("succeeded");
    return l.instance;
  };
  return { host, agent, vm };
}

describe("a VM as a probe source", () => {
  it("whose guest has no agent (the busybox initramfs) is refused at once, naming why, and no command reaches the host", async () => {
    const { host, vm } = await vmWorld("h-vm");
    const busybox = await vm("vm-1", "nvi-busybox");
    const started = Date.now();
    expect(
      await codeOf(checkReachability(ctx, { instanceId: busybox.id, toAddress: "10.97.1.9", protocol: "icmp" }), {
        message: true,
      }),
    ).toBe(
      "VALIDATION_FAILED@instanceId: instance vm-1: its guest (nvi-busybox) has no agent (qemu-guest-agent) to send a probe from; probe towards it from another instance",
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await ctx.db.hostCommand.count({ where: { hostId: host.id, kind: "instance.probe" } })).toBe(0);
  });

  it("whose guest runs the agent (the Debian disk image) sends it: the host is asked for a probe from the VM", async () => {
    const { agent, vm } = await vmWorld("h-deb");
    const deb = await vm("deb-1", "nvi-debian12");
    const asked = checkReachability(ctx, { instanceId: deb.id, toAddress: "10.97.1.9", protocol: "icmp" });
    // the agent answers the probe command while the check waits for it
    const served = (async () => {
      for (let i = 0; i < 50 && !agent.executed.some((b) => b.kind === "instance.probe"); i++) {
        await agent.serve();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const answer = await asked;
    await served;
    expect(answer).toMatchObject({ reachable: true, result: "open", from: { name: "deb-1" } });
    expect(agent.executed.find((b) => b.kind === "instance.probe")).toEqual({
      kind: "instance.probe",
      probe: { instanceId: deb.id, runtime: "qemu", target: "10.97.1.9", protocol: "icmp", port: null },
    });
  });

  it("that is still booting (its guest has not answered) is refused as booting", async () => {
    const { host, vm } = await vmWorld("h-boot");
    const deb = await vm("deb-2", "nvi-debian12");
    await ctx.db.instance.update({ where: { id: deb.id }, data: { status: "starting" } });
    expect(
      await codeOf(checkReachability(ctx, { instanceId: deb.id, toAddress: "10.97.1.9", protocol: "icmp" }), {
        message: true,
      }),
    ).toBe(
      "INSTANCE_STATE@instanceId: instance deb-2 is booting: its guest has not answered yet, so nothing can be sent from it",
    );
    expect(await ctx.db.hostCommand.count({ where: { hostId: host.id, kind: "instance.probe" } })).toBe(0);
  });
});
