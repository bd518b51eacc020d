import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { launchInstance } from "../instances/instances.ts";
import { getOperation, listOperations } from "../operations/operations.ts";
import { cloudWithHost, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc, deleteVpc } from "../vpcs/vpcs.ts";
import { listAuditEvents } from "./audit.ts";
import { targetNames } from "./target-names.ts";

/**
 * Issue 17, bug 6: Operations and Audit showed ids (`inst_Riek…`), never names. Real Postgres and a
 * real BullMQ queue (not consumed).
 */
let ctx: Ctx;
let other: Ctx;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("names");
  other = await person("names-other", ctx);
  queue = testQueue("names");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

describe("targets by name", () => {
  it("operations and audit events name their target, and a deleted one by the name it had", async () => {
    const { cloudId } = await cloudWithHost(ctx, { hostname: "h-names" });
    const vpc = await createVpc(ctx, { name: "shop", cidr: "10.94.0.0/16", allowOverlap: true });
    const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "front", cidr: "10.94.1.0/24" });
    const { instance, operationId } = await launchInstance(ctx, queue, {
      name: "web-7",
      subnetId: sn.id,
      runtime: "netns",
    });

    expect((await listOperations(ctx, { targetId: instance.id })).map((o) => o.targetName)).toEqual(["web-7"]);
    expect((await getOperation(ctx, { operationId })).targetName).toBe("web-7");

    const events = (await listAuditEvents(ctx, { limit: 50 })).events;
    const nameOf = (type: string, id: string) =>
      events.find((e) => e.targetType === type && e.targetId === id)?.targetName;
    expect(nameOf("instance", instance.id)).toBe("web-7");
    expect(nameOf("subnet", sn.id)).toBe("shop / front");
    expect(nameOf("vpc", vpc.id)).toBe("shop");
    expect(nameOf("cloud", cloudId)).toBe("dc1");

    const gone = await createVpc(ctx, { name: "short-lived", cidr: "10.95.0.0/16", allowOverlap: true });
    await deleteVpc(ctx, { vpcId: gone.id });
    const after = (await listAuditEvents(ctx, { targetType: "vpc", limit: 50 })).events;
    expect(after.filter((e) => e.targetId === gone.id).map((e) => [e.action, e.targetName])).toEqual([
      ["vpc.deleted", "short-lived"],
      ["vpc.created", "short-lived"],
    ]);
  });

  it("a policy operation names its organization; a gone target takes the newest name its events recorded", async () => {
    const org = await ctx.db.organization.findUniqueOrThrow({ where: { id: ctx.actor.orgId } });
    const names = await targetNames(ctx.db, ctx.actor.orgId, [{ targetType: "policy", targetId: org.id }]);
    expect(names.get(org.id)).toBe(org.name);
    // another organization's policy is not named, even by id
    const theirs = await targetNames(other.db, other.actor.orgId, [{ targetType: "policy", targetId: org.id }]);
    expect(theirs.get(org.id)).toBeUndefined();

    // events of a target that no longer exists, oldest first: renamed, then one without a name
    const goneId = "vpc_goneRenamedTwice01";
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const event = (s: number, action: string, before: object | null, after: object | null) => ({
      id: ctx.newId("auditEvent"),
      orgId: ctx.actor.orgId,
      at: at(s),
      actorType: "system" as const,
      actorLabel: "test",
      action,
      targetType: "vpc",
      targetId: goneId,
      before: before ?? undefined,
      after: after ?? undefined,
    });
    await ctx.db.auditEvent.createMany({
      data: [
        event(1, "vpc.created", null, { name: "first" }),
        event(2, "vpc.updated", { name: "first" }, { name: "second" }),
        event(3, "vpc.deleted", { name: "second" }, null),
        event(4, "vpc.touched", { cidr: "10.0.0.0/16" }, { cidr: "10.1.0.0/16" }),
      ],
    });
    const gone = await targetNames(ctx.db, ctx.actor.orgId, [{ targetType: "vpc", targetId: goneId }]);
    expect(gone.get(goneId)).toBe("second");
    expect((await targetNames(other.db, other.actor.orgId, [{ targetType: "vpc", targetId: goneId }])).size).toBe(0);
  });

  it("another organization's names are never looked up", async () => {
    const vpc = await createVpc(ctx, { name: "secret-name", cidr: "10.96.0.0/16", allowOverlap: true });
    // the other tenant's page cannot name it, even if an id of it were in their log
    const names = await targetNames(other.db, other.actor.orgId, [{ targetType: "vpc", targetId: vpc.id }]);
    expect(names.get(vpc.id)).toBeUndefined();
  });
});
