import { HostDto, HostStatus, idRef } from "@nvi/contracts";
import type { Prisma } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { hostDto, OFFLINE_AFTER_MS, STALE_AFTER_MS } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { decodeCursor, finishPage, keyset, PageParams, pageOf } from "./keyset.ts";

const SORTS = { name: "name", enrolled: "enrolledAt", seen: "lastSeenAt" } as const;

export const PageHostsInput = z.object({
  ...PageParams,
  sort: z.enum(["name", "enrolled", "seen"]).default("name"),
  cloudId: idRef("cloud").optional(),
  status: HostStatus.optional(),
  gateway: z.coerce.boolean().optional(),
});
export const HostPage = pageOf(HostDto);
export type HostPage = z.infer<typeof HostPage>;

/** The `lastSeenAt` range a status stands for (the same thresholds as `hostStatus`). */
function seenFor(status: HostStatus, now: Date): Prisma.DateTimeFilter {
  const stale = new Date(now.getTime() - STALE_AFTER_MS);
  const offline = new Date(now.getTime() - OFFLINE_AFTER_MS);
  if (status === "online") return { gte: stale };
  if (status === "stale") return { lt: stale, gte: offline };
  return { lt: offline };
}

/**
 * One page of the organization's hosts: search matches the name or the fabric address's start;
 * filters by cloud, status (from the last heartbeat) and gateway role; sorted by name, enrolment
 * or last heartbeat, then id.
 */
export async function pageHosts(ctx: Ctx, input: z.input<typeof PageHostsInput>): Promise<HostPage> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const q = PageHostsInput.parse(input);
  const now = ctx.clock();
  const field = SORTS[q.sort];
  const direction = q.order ?? "asc";
  const where: Prisma.HostWhereInput = {
    orgId: ctx.actor.orgId,
    ...(q.cloudId ? { cloudId: q.cloudId } : {}),
    ...(q.status ? { lastSeenAt: seenFor(q.status, now) } : {}),
    ...(q.gateway === undefined ? {} : { gatewayPublicAddress: q.gateway ? { not: null } : null }),
    ...(q.search
      ? {
          OR: [{ name: { contains: q.search, mode: "insensitive" } }, { fabricAddress: { startsWith: q.search } }],
        }
      : {}),
  };
  const k = keyset(field, direction, decodeCursor(q.cursor));
  const [rows, total] = await Promise.all([
    ctx.db.host.findMany({
      where: k.where ? { AND: [where, k.where as Prisma.HostWhereInput] } : where,
      orderBy: k.orderBy,
      include: { credential: { select: { issuedAt: true, rotationRequestedAt: true } } },
      take: q.limit + 1,
    }),
    ctx.db.host.count({ where }),
  ]);
  const { page, nextCursor } = finishPage(rows, q.limit, (r) => r[field]);
  return { items: page.map((r) => hostDto(r, now)), nextCursor, total };
}
