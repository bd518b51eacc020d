import { AuditEventDto, AuditTargetType, asId } from "@nvi/contracts";
import type { DbTx, Prisma } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { DomainError } from "../errors.ts";
import { actorLabel, type Actor, type Ctx, type CoreDeps } from "../context.ts";
import { targetNames } from "./target-names.ts";

export interface AuditEntry {
  action: string;
  targetType: AuditTargetType;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditSubject {
  orgId: string | null;
  actorType: "user" | "token" | "system" | "anonymous";
  actorId: string | null;
  actorLabel: string;
  sourceIp: string | null;
}

export function subjectOf(actor: Actor): AuditSubject {
  return {
    orgId: actor.orgId,
    actorType: actor.kind,
    actorId: actor.kind === "token" ? actor.tokenId : actor.userId,
    actorLabel: actorLabel(actor),
    sourceIp: actor.sourceIp,
  };
}

const asJson = (value: unknown) =>
  value === undefined || value === null ? undefined : (value as Prisma.InputJsonValue);

/** One audit event as written: the entry, who did it, its id and time. */
export interface AuditRow extends AuditSubject {
  id: string;
  at: Date;
  action: string;
  targetType: AuditTargetType;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

/** The event `recordAudit` writes, for a caller that writes it in a statement of its own (a policy change's record). */
export function auditRow(deps: Pick<CoreDeps, "clock" | "newId">, subject: AuditSubject, entry: AuditEntry): AuditRow {
  return { id: deps.newId("auditEvent"), at: deps.clock(), ...subject, ...entry, targetId: entry.targetId ?? null };
}

/** Written in the same transaction as the change it describes. */
export async function recordAudit(
  tx: DbTx,
  deps: Pick<CoreDeps, "clock" | "newId">,
  subject: AuditSubject,
  entry: AuditEntry,
) {
  const row = auditRow(deps, subject, entry);
  await tx.auditEvent.create({ data: { ...row, before: asJson(row.before), after: asJson(row.after) } });
}

export const AuditFilter = z.object({
  action: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(200).optional(),
  targetType: AuditTargetType.optional(),
  targetId: z.string().trim().max(100).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional(),
  /** the action, who, or the target (its id, or the name of the instance or host it is) */
  search: z.string().trim().max(100).optional(),
  /** newest first unless asked otherwise */
  order: z.enum(["asc", "desc"]).optional(),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditPage = z.object({ events: z.array(AuditEventDto), nextCursor: z.string().nullable() });
export type AuditPage = z.infer<typeof AuditPage>;

/** Newest first; `cursor` is `<at>|<id>` of the last event of the previous page. */
export async function listAuditEvents(ctx: Ctx, filter: AuditFilter): Promise<AuditPage> {
  assertScope(ctx.actor.scopes, "audit", "read");
  const where: Prisma.AuditEventWhereInput = {
    orgId: ctx.actor.orgId,
    ...(filter.action ? { action: { startsWith: filter.action } } : {}),
    ...(filter.actor ? { actorLabel: { contains: filter.actor, mode: "insensitive" } } : {}),
    ...(filter.targetType ? { targetType: filter.targetType } : {}),
    ...(filter.targetId ? { targetId: filter.targetId } : {}),
    ...(filter.from || filter.to
      ? {
          at: {
            ...(filter.from ? { gte: new Date(filter.from) } : {}),
            ...(filter.to ? { lte: new Date(filter.to) } : {}),
          },
        }
      : {}),
  };
  if (filter.search) where.OR = await searchTerms(ctx, filter.search);
  const after = parseCursor(filter.cursor);
  const dir = filter.order ?? "desc";
  const op = dir === "desc" ? "lt" : "gt";
  const rows = await ctx.db.auditEvent.findMany({
    where: after
      ? { AND: [where, { OR: [{ at: { [op]: after.at } }, { at: after.at, id: { [op]: after.id } }] }] }
      : where,
    orderBy: [{ at: dir }, { id: dir }],
    take: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  const names = await targetNames(ctx.db, ctx.actor.orgId, page);
  return {
    events: page.map((e) => ({
      id: asId("auditEvent", e.id),
      at: e.at.toISOString(),
      actorType: e.actorType,
      actorId: e.actorId,
      actorLabel: e.actorLabel,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      targetName: (e.targetId && names.get(e.targetId)) ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
      sourceIp: e.sourceIp,
    })),
    nextCursor:
      rows.length > filter.limit && page.length ? `${page.at(-1)!.at.toISOString()}|${page.at(-1)!.id}` : null,
  };
}

async function searchTerms(ctx: Ctx, search: string): Promise<Prisma.AuditEventWhereInput[]> {
  const orgId = ctx.actor.orgId;
  const like = { contains: search, mode: "insensitive" } as const;
  const [instances, hosts] = await Promise.all([
    ctx.db.instance.findMany({ where: { orgId, name: like }, select: { id: true }, take: 500 }),
    ctx.db.host.findMany({ where: { orgId, name: like }, select: { id: true }, take: 500 }),
  ]);
  return [
    { action: like },
    { actorLabel: like },
    { targetId: { in: [search, ...instances.map((r) => r.id), ...hosts.map((r) => r.id)] } },
  ];
}

function parseCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  const [at, id] = cursor.split("|");
  const date = new Date(at ?? "");
  if (!id || Number.isNaN(date.getTime())) {
    throw new DomainError("VALIDATION_FAILED", "cursor is not one this API returned", { field: "cursor" });
  }
  return { at: date, id };
}
