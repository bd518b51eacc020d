import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { recordingPlane, scriptedAgent, work } from "../test-support/agent.ts";
import { cloudWithHost, codeOf, hostFacts, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { launchInstance } from "./instances.ts";
import { checkReachability } from "./reachability.ts";

/**
 * Issue 17, bug 4: a VM was offered as a probe source, and the probe failed after the agent's wait.
 * Real Postgres, the real command channel, a real BullMQ queue (not consumed).
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

describe("a VM as a probe source", () => {
  it("is refused at once, naming why, and no command reaches the host", async () => {
    const { cloudId, host } = await cloudWithHost(ctx, { hostname: "h-vm" });
    const facts = hostFacts("h-vm", { runtimes: { docker: false, qemu: true, netns: true } });
    await ctx.db.host.update({ where: { id: host.id }, data: { facts, lastSeenAt: new Date() } });
    const vpc = await createVpc(ctx, { name: "vms", cidr: "10.97.0.0/16", allowOverlap: true });
    const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "s", cidr: "10.97.1.0/24" });
    const vm = await launchInstance(ctx, queue, {
      name: "vm-1",
      subnetId: sn.id,
      hostId: host.id,
      runtime: "qemu",
      image: "nvi-busybox",
      cpus: 1,
      memoryMiB: 128,
    });
    const op = await work(ctx, vm.operationId, scriptedAgent(ctx, host), recordingPlane().plane);
    expect(op.status, op.error ?? "").toBe("succeeded");

    const started = Date.now();
    expect(
      await codeOf(checkReachability(ctx, { instanceId: vm.instance.id, toAddress: "10.97.1.9", protocol: "icmp" }), {
        message: true,
      }),
    ).toBe(
      "VALIDATION_FAILED@instanceId: instance vm-1 is a VM: it has no guest agent to send a probe from yet; probe towards it from another instance",
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await ctx.db.hostCommand.count({ where: { hostId: host.id, kind: "instance.probe" } })).toBe(0);
  });
});
