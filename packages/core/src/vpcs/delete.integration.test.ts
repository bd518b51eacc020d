import type { CloudId, HostId, SubnetId, VpcId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteCloud } from "../clouds/clouds.ts";
import { removeHost, type AuthenticatedHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { launchInstance, terminateInstance } from "../instances/instances.ts";
import { recordingPlane, scriptedAgent, work } from "../test-support/agent.ts";
import { cloudWithHost, codeOf, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc, deleteSubnet, deleteVpc } from "./vpcs.ts";

/**
 * Issue 17, bug 1: once an instance had lived in a subnet, neither the subnet, its VPC nor its cloud
 * could ever be deleted (terminated instances are kept and restricted the delete: a bare 409).
 * Real Postgres, the real command channel, a real BullMQ queue (not consumed; the test runs the worker's side).
 */
let ctx: Ctx;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("del");
  queue = testQueue("del");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

async function place(
  tag: string,
): Promise<{ cloudId: CloudId; hostId: HostId; host: AuthenticatedHost; subnetId: SubnetId; vpcId: VpcId }> {
  const { cloudId, hostId, host } = await cloudWithHost(ctx, { cloud: `c-${tag}`, hostname: `h-${tag}` });
  const vpc = await createVpc(ctx, { name: `v-${tag}`, cidr: "10.88.0.0/16", allowOverlap: true });
  const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: `s-${tag}`, cidr: "10.88.1.0/24" });
  return { cloudId, hostId, host, subnetId: sn.id, vpcId: vpc.id };
}

async function running(host: AuthenticatedHost, subnetId: SubnetId, name: string) {
  await ctx.db.host.update({ where: { id: host.id }, data: { lastSeenAt: new Date() } });
  const l = await launchInstance(ctx, queue, {
    name,
    subnetId,
    hostId: host.id,
    runtime: "netns",
    cpus: 1,
    memoryMiB: 64,
  });
  const op = await work(ctx, l.operationId, scriptedAgent(ctx, host), recordingPlane().plane);
  expect(op.status, op.error ?? "").toBe("succeeded");
  return l.instance;
}

async function terminated(host: AuthenticatedHost, subnetId: SubnetId, name: string) {
  const inst = await running(host, subnetId, name);
  const t = await terminateInstance(ctx, queue, { instanceId: inst.id });
  const op = await work(ctx, t.operationId, scriptedAgent(ctx, host), recordingPlane().plane);
  expect(op.status, op.error ?? "").toBe("succeeded");
  return inst;
}

describe("deleting what instances lived in", () => {
  it("a subnet, its VPC, the host and the cloud go once their instances are terminated; the audit keeps the history", async () => {
    const { cloudId, hostId, host, subnetId, vpcId } = await place("a");
    const inst = await terminated(host, subnetId, `gone-${Date.now()}`);
    expect(await codeOf(deleteSubnet(ctx, { subnetId: subnetId }), { message: true })).toBe("ok");
    expect(await codeOf(deleteVpc(ctx, { vpcId: vpcId }), { message: true })).toBe("ok");
    expect(await codeOf(removeHost(ctx, { hostId }), { message: true })).toBe("ok");
    expect(await codeOf(deleteCloud(ctx, { cloudId }), { message: true })).toBe("ok");
    const history = await ctx.db.auditEvent.findMany({ where: { targetId: inst.id }, select: { action: true } });
    expect(history.map((h) => h.action)).toEqual(expect.arrayContaining(["instance.launch", "instance.terminate"]));
  });

  it("a VPC goes with a terminated instance in it, in one step", async () => {
    const { host, subnetId, vpcId } = await place("b");
    await terminated(host, subnetId, `gone-b-${Date.now()}`);
    expect(await codeOf(deleteVpc(ctx, { vpcId: vpcId }), { message: true })).toBe("ok");
    expect(await ctx.db.subnet.count({ where: { vpcId } })).toBe(0);
  });

  it("a refusal names exactly what still holds it", async () => {
    const { cloudId, host, subnetId, vpcId } = await place("c");
    const name = `live-${Date.now()}`;
    await running(host, subnetId, name);
    await terminated(host, subnetId, `dead-${Date.now()}`);
    expect(await codeOf(deleteSubnet(ctx, { subnetId: subnetId }), { message: true })).toBe(
      `VPC_NOT_EMPTY: subnet "s-c" still holds instance ${name} (running); terminate it first`,
    );
    expect(await codeOf(deleteVpc(ctx, { vpcId: vpcId }), { message: true })).toBe(
      `VPC_NOT_EMPTY: VPC "v-c" still holds instance ${name} (running); terminate it first`,
    );
    expect(await codeOf(deleteCloud(ctx, { cloudId }), { message: true })).toBe(
      `CLOUD_NOT_EMPTY: cloud "c-c" still has host h-c and subnet s-c of VPC v-c; remove the host and delete the subnet first`,
    );
  });
});
