import { asId, type HostId, type SubnetId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import type { DomainError } from "../errors.ts";
import { codeOf, tenantWithHost, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { completeCommand, issueCommand, pullCommands } from "./commands.ts";
import { launchInstance, terminateInstance } from "./instances.ts";
import { retryOperation } from "../operations/operations.ts";

/** Launch bookkeeping against the real Postgres and a real BullMQ queue (its own prefix; no worker consumes it here). */
let ctx: Ctx;
let subnetId: SubnetId;
let hostId: HostId;

let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  const tenant = await tenantWithHost("inst");
  ctx = tenant.ctx;
  hostId = tenant.hostId;
  const cloudId = tenant.cloudId;

  const vpc = await createVpc(ctx, { name: "v", cidr: "10.77.0.0/16", allowOverlap: false });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "s", cidr: "10.77.1.0/26" })).id;
  queue = testQueue("core");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

/** A launch with the smallest netns instance, unless `o` says otherwise. */
const launch = (o: { name: string; subnetId: string } & Partial<Parameters<typeof launchInstance>[2]>) =>
  launchInstance(ctx, queue, { runtime: "netns", cpus: 1, memoryMiB: 64, ...o });

describe("launching instances", () => {
  it("50 concurrent launches into a /26: unique addresses, then SUBNET_FULL, nothing half-made", async () => {
    const results = await Promise.allSettled(Array.from({ length: 70 }, (_, i) => launch({ name: `c${i}`, subnetId })));
    const ok = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.instance.address] : []));
    const refused = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as DomainError).code] : []));
    expect(ok.length).toBe(61); // a /26 has 62 usable addresses, the gateway takes one
    expect(new Set(ok).size).toBe(ok.length);
    expect([...new Set(refused)]).toEqual(["SUBNET_FULL"]);
    const made = await ctx.db.instance.findMany({ where: { subnetId }, select: { id: true } });
    expect(made.length).toBe(61);
    expect(
      await ctx.db.operation.count({ where: { kind: "instance.launch", targetId: { in: made.map((m) => m.id) } } }),
    ).toBe(61);
  }, 60_000);

  it("an idempotency key makes a retried request the same launch", async () => {
    const vpc = await createVpc(ctx, { name: "v2", cidr: "10.78.0.0/16", allowOverlap: true });
    const sn = await createSubnet(ctx, {
      vpcId: vpc.id,
      cloudId: asId("cloud", (await ctx.db.host.findUniqueOrThrow({ where: { id: hostId } })).cloudId),
      name: "s2",
      cidr: "10.78.1.0/24",
    });
    const first = await launch({ name: "idem", subnetId: sn.id, idempotencyKey: "request-0001" });
    const again = await launch({ name: "idem", subnetId: sn.id, idempotencyKey: "request-0001" });
    expect(again).toEqual(first);
    expect(await codeOf(launch({ name: "idem", subnetId: sn.id }))).toBe("DUPLICATE_NAME@name");
  });

  it("refuses an offline host and a missing runtime, naming the field", async () => {
    await ctx.db.host.update({ where: { id: hostId }, data: { lastSeenAt: new Date(Date.now() - 10 * 60_000) } });
    try {
      expect(await codeOf(launch({ name: "late", subnetId: (await ownSubnet("late")).id, hostId }))).toBe(
        "HOST_UNAVAILABLE@hostId",
      );
    } finally {
      await ctx.db.host.update({ where: { id: hostId }, data: { lastSeenAt: new Date() } });
    }
    expect(
      await codeOf(
        launch({ name: "vm", subnetId: (await ownSubnet("vm")).id, hostId, runtime: "qemu", image: "nvi-busybox" }),
      ),
    ).toBe("VALIDATION_FAILED@runtime");
  });

  it("a VM's image is a guest name, not a host path, and it gets enough memory to boot", async () => {
    const subnetId = (await ownSubnet("vmin")).id;
    const vm = (name: string, extra: { image?: string; memoryMiB: number }) =>
      codeOf(launchInstance(ctx, queue, { name, subnetId, hostId, runtime: "qemu", cpus: 1, ...extra }));
    expect(await vm("vm1", { image: "/img/x.qcow2", memoryMiB: 128 })).toBe("VALIDATION_FAILED@image");
    expect(await vm("vm2", { image: "../etc", memoryMiB: 128 })).toBe("VALIDATION_FAILED@image");
    expect(await vm("vm3", { image: "nvi-busybox", memoryMiB: 48 })).toBe("VALIDATION_FAILED@memoryMiB");
    expect(await vm("vm4", { memoryMiB: 128 })).toBe("VALIDATION_FAILED@image");
  });

  it("a container's image is an image reference, never an option or a path for docker's argv", async () => {
    const subnetId = (await ownSubnet("ctr")).id;
    for (const image of ["--privileged", "../../etc/passwd", "-v/:/host", "alpine --privileged"]) {
      expect(
        await codeOf(
          launchInstance(ctx, queue, { name: "ctr", subnetId, runtime: "docker", image, cpus: 1, memoryMiB: 64 }),
        ),
        image,
      ).toBe("VALIDATION_FAILED@image");
    }
  });
});

async function ownSubnet(name: string) {
  const cloudId = asId("cloud", (await ctx.db.host.findUniqueOrThrow({ where: { id: hostId } })).cloudId);
  const vpc = await createVpc(ctx, {
    name: `v-${name}`,
    cidr: `10.${80 + Math.floor(Math.random() * 100)}.0.0/16`,
    allowOverlap: true,
  });
  return createSubnet(ctx, { vpcId: vpc.id, cloudId, name: `s-${name}`, cidr: vpc.cidr.replace("0.0/16", "1.0/24") });
}

/** An instance of its own in a fresh subnet (tests run shuffled, so none leans on another's). */
async function ownInstance(name: string) {
  const sn = await ownSubnet(name);
  return launch({ name, subnetId: sn.id });
}

describe("the agent channel", () => {
  it("a command is handed out once, again only after the redelivery delay, and its result recorded once", async () => {
    const launched = await ownInstance("chan");
    const inst = launched.instance;
    const op = { id: launched.operationId };
    const body = { kind: "instance.remove" as const, instanceId: inst.id, runtime: "netns" as const };
    const id = await issueCommand(ctx, { hostId, operationId: op.id, body });
    expect(await issueCommand(ctx, { hostId, operationId: op.id, body })).toBe(id); // one per (operation, kind)
    const host = { id: hostId, orgId: ctx.actor.orgId, cloudId: "", name: "h1" };
    expect((await pullCommands(ctx, host, [])).commands.map((c) => c.id)).toContain(id);
    expect((await pullCommands(ctx, host, [])).commands.map((c) => c.id)).not.toContain(id); // sent, not yet due again
    await completeCommand(ctx, host, id, { ok: true });
    expect(await ctx.db.hostCommand.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "done",
      attempts: 1,
    });
    const stranger = { ...host, id: "host_someoneelse0000000" };
    expect(await codeOf(completeCommand(ctx, stranger, id, { ok: true }))).toBe("NOT_FOUND");
  });

  it("a host with instances is not removed: drain it first", async () => {
    const { instance } = await ownInstance("drain");
    expect(await codeOf(removeHost(ctx, { hostId }))).toBe("HOST_NOT_EMPTY@hostId");
    expect(await ctx.db.host.findUnique({ where: { id: hostId } })).not.toBeNull();
    expect(await ctx.db.instance.findUnique({ where: { id: instance.id } })).not.toBeNull();
  });

  it("terminate twice gives the same operation; only a failed operation can be retried", async () => {
    const inst = (await ownInstance("term")).instance;
    const t1 = await terminateInstance(ctx, queue, { instanceId: inst.id });
    const t2 = await terminateInstance(ctx, queue, { instanceId: inst.id });
    expect(t2.operationId).toBe(t1.operationId);
    expect(await codeOf(retryOperation(ctx, queue, { operationId: t1.operationId }))).toBe("OPERATION_STATE");
  });
});
