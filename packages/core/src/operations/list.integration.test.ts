import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetNames } from "../audit/target-names.ts";
import type { Ctx } from "../context.ts";
import { person } from "../test-support/kit.ts";
import { changeMarker, listOperations, operationDto } from "./operations.ts";

/**
 * The operations' list is read with one raw statement (Prisma's row mapping cost more than the
 * query): it must answer exactly what Prisma's reading answers, field by field, for every filter,
 * and never another organization's operations. Real Postgres.
 */
let ctx: Ctx;
let other: Ctx;
const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

beforeAll(async () => {
  ctx = await person("oplist");
  other = await person("oplist-other", ctx);
  const base = Date.UTC(2026, 11, 7, 8, 0, 0, 123);
  const rows = (c: Ctx, n: number) =>
    Array.from({ length: n }, (_, k) => ({
      id: c.newId("operation"),
      orgId: c.actor.orgId,
      kind: k % 3 ? "instance.start" : "policy.apply",
      targetType: k % 3 ? "instance" : "policy",
      targetId: k % 3 ? `inst_gone${k % 4}` : c.actor.orgId,
      status: STATUSES[k % STATUSES.length]!,
      progress: (k * 7) % 101,
      steps: [
        { name: `step ${k}`, status: "done", at: new Date(base + k).toISOString(), detail: k % 2 ? "détail ✓" : null },
      ],
      error: k % 5 === 3 ? `failed "${k}"` : null,
      requestedBy: `p${k}@example.test`,
      cancelledBy: k % 5 === 4 ? "admin@example.test" : null,
      attempts: k % 3,
      // several share a creation time: the id orders them
      createdAt: new Date(base + Math.floor(k / 3) * 1000),
      startedAt: k % 2 ? new Date(base + k * 1000 + 1) : null,
      finishedAt: k % 4 === 2 ? new Date(base + k * 1000 + 999) : null,
    }));
  await ctx.db.operation.createMany({ data: [...rows(ctx, 40), ...rows(other, 5)] });
});

afterAll(async () => {
  await ctx.db.operation.deleteMany({ where: { orgId: { in: [ctx.actor.orgId, other.actor.orgId] } } });
  await ctx.db.$disconnect();
});

/** What the list answered when Prisma read the rows. */
async function throughPrisma(c: Ctx, f: { status?: (typeof STATUSES)[number]; targetId?: string; limit?: number }) {
  const rows = await c.db.operation.findMany({
    where: {
      orgId: c.actor.orgId,
      ...(f.status ? { status: f.status } : {}),
      ...(f.targetId ? { targetId: f.targetId } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: f.limit ?? 50,
  });
  const names = await targetNames(c.db, c.actor.orgId, rows);
  return rows.map((r) => operationDto(r, names.get(r.targetId) ?? null));
}

describe("the operations' list", () => {
  it("answers what Prisma's reading answers, for every filter", async () => {
    const filters = [
      {},
      { limit: 7 },
      { limit: 200 },
      ...STATUSES.map((status) => ({ status })),
      { targetId: "inst_gone1" },
      { targetId: ctx.actor.orgId, status: "failed" as const },
      { targetId: "nothing-has-this" },
      // an empty target filters nothing (`?targetId=` as a form sends it)
      { targetId: "" },
    ];
    for (const f of filters) {
      const listed = await listOperations(ctx, f);
      expect(listed, JSON.stringify(f)).toEqual(await throughPrisma(ctx, f));
    }
    expect(await listOperations(ctx, { limit: 200 })).toHaveLength(40);
    // the policy operations are named after the organization, as before
    expect((await listOperations(ctx, { targetId: ctx.actor.orgId }))[0]?.targetName).toBeTruthy();
  });

  it("never lists another organization's operations, even by their target", async () => {
    const theirs = await listOperations(other, { limit: 200 });
    expect(theirs).toHaveLength(5);
    expect(await listOperations(ctx, { targetId: other.actor.orgId })).toEqual([]);
    const ids = new Set(theirs.map((o) => o.id));
    expect((await listOperations(ctx, { limit: 200 })).filter((o) => ids.has(o.id))).toEqual([]);
  });
});

describe("the live stream's change marker", () => {
  it("names the newest 50 operations with ties broken by id (rows written together share a time)", async () => {
    const newest = await ctx.db.operation.findMany({
      where: { orgId: ctx.actor.orgId },
      select: { id: true, status: true, progress: true, createdAt: true },
    });
    newest.sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
    const expected = newest
      .slice(0, 50)
      .map((o) => `${o.id}:${o.status}:${o.progress}`)
      .join(",");
    // no instance in this organization: the marker's second part is empty
    expect(await changeMarker(ctx)).toBe(`${expected}|`);
  });
});
