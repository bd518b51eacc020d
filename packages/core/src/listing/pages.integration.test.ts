import type { CloudId, HostId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { bulkInstanceAction } from "../instances/bulk.ts";
import { launchInstance } from "../instances/instances.ts";
import { cloudWithHost, codeOf, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { pageHosts } from "./hosts-page.ts";
import { countInstances, pageInstances } from "./instances-page.ts";
import { pageOperations } from "./operations-page.ts";

/**
 * Issue 17, "tables that scale": the paged lists behind the Instances, Hosts, Operations and Audit
 * tables against the real Postgres; bulk actions as one operation per instance.
 */
let ctx: Ctx;
let other: Ctx;
let cloudId: CloudId;
let hostId: HostId;
let queue: ReturnType<typeof testQueue>;
const NAMES = ["web-3", "db-1", "web-1", "cache-1", "web-2", "db-2", "web-10"];

beforeAll(async () => {
  ctx = await person("pages");
  other = await person("pages-other", ctx);
  ({ cloudId, hostId } = await cloudWithHost(ctx, { hostname: "h-pages" }));
  queue = testQueue("pages");
  const vpc = await createVpc(ctx, { name: "v-pages", cidr: "10.67.0.0/16", allowOverlap: true });
  const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "s-pages", cidr: "10.67.1.0/24" });
  for (const name of NAMES) await launchInstance(ctx, queue, { name, subnetId: sn.id, runtime: "netns" });
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

/** Every page in turn, following the cursors. */
async function all<T>(next: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>) {
  const out: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await next(cursor);
    out.push(page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

describe("instance pages", () => {
  it("walks every instance once in (sort, id) order, either direction, with the total on each page", async () => {
    const asc = await all((cursor) => pageInstances(ctx, { limit: 3, sort: "name", cursor }));
    expect(asc.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(asc.flat().map((i) => i.name)).toEqual([...NAMES].sort());
    const desc = await all((cursor) => pageInstances(ctx, { limit: 4, sort: "name", order: "desc", cursor }));
    expect(desc.flat().map((i) => i.name)).toEqual([...NAMES].sort().reverse());
    expect((await pageInstances(ctx, { limit: 2 })).total).toBe(NAMES.length);
  });

  it("searches by name, address and host; filters by status, host and cloud", async () => {
    const web = await pageInstances(ctx, { search: "WEB" });
    expect(web.items.map((i) => i.name).sort()).toEqual(["web-1", "web-10", "web-2", "web-3"]);
    expect(web.total).toBe(4);
    expect((await pageInstances(ctx, { search: "10.67.1." })).total).toBe(NAMES.length);
    expect((await pageInstances(ctx, { search: "h-pages" })).total).toBe(NAMES.length);
    expect((await pageInstances(ctx, { status: "running" })).total).toBe(0);
    expect((await pageInstances(ctx, { hostId, cloudId, status: "pending" })).total).toBe(NAMES.length);
    expect((await pageInstances(other, {})).total).toBe(0);
  });

  it("counts the organization's instances by state, terminated ones left out, without the rows", async () => {
    expect(await countInstances(ctx)).toEqual({ total: NAMES.length, byStatus: { pending: NAMES.length } });
    const [a, b] = await ctx.db.instance.findMany({
      where: { orgId: ctx.actor.orgId },
      take: 2,
      orderBy: { name: "asc" },
    });
    try {
      await ctx.db.instance.update({ where: { id: a!.id }, data: { status: "running" } });
      await ctx.db.instance.update({ where: { id: b!.id }, data: { status: "terminated" } });
      expect(await countInstances(ctx)).toEqual({
        total: NAMES.length - 1,
        byStatus: { pending: NAMES.length - 2, running: 1 },
      });
      expect(await countInstances(ctx, { vpcId: a!.vpcId })).toMatchObject({ total: NAMES.length - 1 });
      // another VPC of the same organization counts only its own
      const v2 = await createVpc(ctx, { name: "v-pages-counts", cidr: "10.69.0.0/16", allowOverlap: true });
      const s2 = await createSubnet(ctx, { vpcId: v2.id, cloudId, name: "s-counts", cidr: "10.69.1.0/24" });
      const lone = await launchInstance(ctx, queue, { name: "lone-1", subnetId: s2.id, runtime: "netns" });
      expect(await countInstances(ctx, { vpcId: v2.id })).toEqual({ total: 1, byStatus: { pending: 1 } });
      expect(await countInstances(ctx)).toMatchObject({ total: NAMES.length });
      await ctx.db.instance.update({ where: { id: lone.instance.id }, data: { status: "terminated" } });
      expect(await countInstances(other)).toEqual({ total: 0, byStatus: {} });
      expect(await countInstances(other, { vpcId: a!.vpcId })).toEqual({ total: 0, byStatus: {} });
    } finally {
      await ctx.db.instance.updateMany({ where: { id: { in: [a!.id, b!.id] } }, data: { status: "pending" } });
    }
  });

  it("refuses a cursor it did not hand out", async () => {
    expect(await codeOf(pageInstances(ctx, { cursor: "not-a-cursor" }))).toBe("VALIDATION_FAILED@cursor");
    const forged = Buffer.from(JSON.stringify([{ gt: "" }, "x", 0])).toString("base64url");
    expect(await codeOf(pageInstances(ctx, { cursor: forged }))).toBe("VALIDATION_FAILED@cursor");
  });
});

describe("bulk actions", () => {
  it("queues one operation per instance and reports a refusal on its own line", async () => {
    // a tenant of its own: the other tests count this one's instances (tests run shuffled)
    const mine = await person("pages-bulk", ctx);
    const enrolled = await cloudWithHost(mine, { hostname: "h-bulk" });
    const vpc = await createVpc(mine, { name: "v-bulk", cidr: "10.68.0.0/16", allowOverlap: true });
    const sn = await createSubnet(mine, { vpcId: vpc.id, cloudId: enrolled.cloudId, name: "s", cidr: "10.68.1.0/24" });
    for (const name of ["db-1", "db-2", "web-1"])
      await launchInstance(mine, queue, { name, subnetId: sn.id, runtime: "netns" });
    const { items } = await pageInstances(mine, { search: "db-" });
    const r = await bulkInstanceAction(mine, queue, {
      action: "terminate",
      instanceIds: items.map((i) => i.id),
    });
    expect(r.results.map((x) => x.name).sort()).toEqual(["db-1", "db-2"]);
    const ops = r.results.map((x) => x.operationId!);
    expect(new Set(ops).size).toBe(2);
    const progress = await pageOperations(mine, { ids: ops });
    expect(progress.items.map((o) => [o.kind, o.targetName]).sort()).toEqual([
      ["instance.terminate", "db-1"],
      ["instance.terminate", "db-2"],
    ]);
    // a stop of an instance whose terminate (or launch) is under way is refused on its own line, by name
    const web = (await pageInstances(mine, { search: "web-1" })).items[0]!;
    const refused = await bulkInstanceAction(mine, queue, { action: "stop", instanceIds: [items[0]!.id, web.id] });
    expect(refused.results.map((x) => [x.name, x.operationId === null, x.error?.split(":")[0]])).toEqual([
      [items[0]!.name, true, `instance ${items[0]!.name} is busy`],
      ["web-1", true, "instance web-1 is busy"],
    ]);
    // another tenant's instance is not found
    const mixed = await bulkInstanceAction(other, queue, { action: "stop", instanceIds: [items[0]!.id] });
    expect(mixed.results).toEqual([
      { instanceId: items[0]!.id, name: null, operationId: null, error: "instance not found" },
    ]);
  });
});

describe("operation, host and audit pages", () => {
  it("finds operations by their target's name and pages them newest first", async () => {
    const found = await pageOperations(ctx, { search: "cache-1" });
    expect(found.items.map((o) => o.targetName)).toEqual(["cache-1"]);
    const pages = await all((cursor) => pageOperations(ctx, { limit: 2, cursor }));
    const created = pages.flat().map((o) => o.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    expect(pages.flat().length).toBe((await pageOperations(ctx, {})).total);
  });

  it("filters hosts by status and searches them by name", async () => {
    expect((await pageHosts(ctx, { search: "H-PAG" })).items.map((h) => h.name)).toEqual(["h-pages"]);
    expect((await pageHosts(ctx, { status: "online" })).total).toBe(1);
    expect((await pageHosts(ctx, { status: "offline" })).total).toBe(0);
    expect((await pageHosts(other, {})).total).toBe(0);
  });

  it("searches the audit log by the name of the instance an event is about, oldest first on request", async () => {
    const page = await listAuditEvents(ctx, { search: "web-10", limit: 50, order: "asc" });
    expect(page.events.map((e) => [e.action, e.targetName])).toEqual([["instance.launch", "web-10"]]);
    const oldest = await listAuditEvents(ctx, { limit: 1, order: "asc" });
    const next = await listAuditEvents(ctx, { limit: 1, order: "asc", cursor: oldest.nextCursor! });
    expect(next.events[0]!.at >= oldest.events[0]!.at).toBe(true);
  });
});
