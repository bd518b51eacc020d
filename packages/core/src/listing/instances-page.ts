import { idRef, type InstanceCounts, InstanceDto, InstanceRuntime, InstanceStatus } from "@nvi/contracts";
import type { Prisma } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { instanceDto, withHost } from "../instances/instances.ts";
import { decodeCursor, finishPage, keyset, PageParams, pageOf } from "./keyset.ts";

const SORTS = { name: "name", created: "createdAt", updated: "updatedAt", address: "address" } as const;

export const PageInstancesInput = z.object({
  ...PageParams,
  sort: z.enum(["name", "created", "updated", "address"]).default("name"),
  status: InstanceStatus.optional(),
  runtime: InstanceRuntime.optional(),
  vpcId: idRef("vpc").optional(),
  hostId: idRef("host").optional(),
  cloudId: idRef("cloud").optional(),
});
export const InstancePage = pageOf(InstanceDto);
export type InstancePage = z.infer<typeof InstancePage>;

/**
 * One page of the organization's instances (not terminated unless asked for by status): search
 * matches the name, the address's start or the host's name; filters by status, runtime, VPC, host
 * and cloud; sorted by name, creation, last change or address, then id.
 */
export async function pageInstances(ctx: Ctx, input: z.input<typeof PageInstancesInput>): Promise<InstancePage> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const q = PageInstancesInput.parse(input);
  const field = SORTS[q.sort];
  const direction = q.order ?? "asc";
  const where: Prisma.InstanceWhereInput = {
    orgId: ctx.actor.orgId,
    status: q.status ?? { not: "terminated" },
    ...(q.runtime ? { runtime: q.runtime } : {}),
    ...(q.vpcId ? { vpcId: q.vpcId } : {}),
    ...(q.hostId ? { hostId: q.hostId } : {}),
    ...(q.cloudId ? { host: { cloudId: q.cloudId } } : {}),
    ...(q.search
      ? {
          OR: [
            { name: { contains: q.search, mode: "insensitive" } },
            { address: { startsWith: q.search } },
            { host: { name: { contains: q.search, mode: "insensitive" } } },
          ],
        }
      : {}),
  };
  const k = keyset(field, direction, decodeCursor(q.cursor));
  const [rows, total] = await Promise.all([
    ctx.db.instance.findMany({
      where: k.where ? { AND: [where, k.where as Prisma.InstanceWhereInput] } : where,
      orderBy: k.orderBy,
      include: withHost,
      take: q.limit + 1,
    }),
    ctx.db.instance.count({ where }),
  ]);
  const { page, nextCursor } = finishPage(rows, q.limit, (r) => r[field]);
  return { items: page.map(instanceDto), nextCursor, total };
}

export const CountInstancesInput = z.object({ vpcId: idRef("vpc").optional() });

/** How many of the organization's instances (of one VPC, if asked) are in each state: one grouped count, no rows. */
export async function countInstances(
  ctx: Ctx,
  input: z.input<typeof CountInstancesInput> = {},
): Promise<InstanceCounts> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const q = CountInstancesInput.parse(input);
  const groups = await ctx.db.instance.groupBy({
    by: ["status"],
    where: { orgId: ctx.actor.orgId, status: { not: "terminated" }, ...(q.vpcId ? { vpcId: q.vpcId } : {}) },
    _count: { _all: true },
  });
  const byStatus = Object.fromEntries(groups.map((g) => [g.status, g._count._all]));
  return { total: groups.reduce((n, g) => n + g._count._all, 0), byStatus };
}
