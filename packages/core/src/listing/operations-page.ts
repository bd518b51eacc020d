import { idRef, OperationDto, OperationStatus } from "@nvi/contracts";
import type { Prisma } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { targetNames } from "../audit/target-names.ts";
import type { Ctx } from "../context.ts";
import { operationDto } from "../operations/operations.ts";
import { decodeCursor, finishPage, keyset, PageParams, pageOf } from "./keyset.ts";

const SORTS = { created: "createdAt", kind: "kind" } as const;

export const PageOperationsInput = z.object({
  ...PageParams,
  sort: z.enum(["created", "kind"]).default("created"),
  status: OperationStatus.optional(),
  kind: z.string().trim().max(60).optional(),
  targetId: z.string().trim().max(40).optional(),
  /** exactly these operations (a bulk action's combined progress) */
  ids: z.array(idRef("operation")).max(200).optional(),
});
export const OperationPage = pageOf(OperationDto);
export type OperationPage = z.infer<typeof OperationPage>;

/**
 * One page of the organization's operations, newest first by default: search matches the kind,
 * who asked, the target's id or the name of an instance or host it targets; filters by status,
 * kind, target and a list of ids.
 */
export async function pageOperations(ctx: Ctx, input: z.input<typeof PageOperationsInput>): Promise<OperationPage> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const q = PageOperationsInput.parse(input);
  const orgId = ctx.actor.orgId;
  const field = SORTS[q.sort];
  const direction = q.order ?? (q.sort === "created" ? "desc" : "asc");
  const named = q.search
    ? await Promise.all([
        ctx.db.instance.findMany({
          where: { orgId, name: { contains: q.search, mode: "insensitive" } },
          select: { id: true },
          take: 500,
        }),
        ctx.db.host.findMany({
          where: { orgId, name: { contains: q.search, mode: "insensitive" } },
          select: { id: true },
          take: 500,
        }),
      ])
    : [];
  const where: Prisma.OperationWhereInput = {
    orgId,
    ...(q.status ? { status: q.status } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.targetId ? { targetId: q.targetId } : {}),
    ...(q.ids ? { id: { in: q.ids } } : {}),
    ...(q.search
      ? {
          OR: [
            { kind: { contains: q.search, mode: "insensitive" } },
            { requestedBy: { contains: q.search, mode: "insensitive" } },
            { targetId: { in: [q.search, ...named.flat().map((r) => r.id)] } },
          ],
        }
      : {}),
  };
  const k = keyset(field, direction, decodeCursor(q.cursor));
  const [rows, total] = await Promise.all([
    ctx.db.operation.findMany({
      where: k.where ? { AND: [where, k.where as Prisma.OperationWhereInput] } : where,
      orderBy: k.orderBy,
      take: q.limit + 1,
    }),
    ctx.db.operation.count({ where }),
  ]);
  const { page, nextCursor } = finishPage(rows, q.limit, (r) => r[field]);
  const names = await targetNames(ctx.db, orgId, page);
  return { items: page.map((r) => operationDto(r, names.get(r.targetId) ?? null)), nextCursor, total };
}
