import { asId, idRef, OperationDto, OperationStep, type OperationId } from "@nvi/contracts";
import type { OperationKind } from "@nvi/jobs";
import { Prisma, type DbTx } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import { targetNames } from "../audit/target-names.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { dispatchOperation } from "./outbox.ts";
import type { OperationQueue } from "./queue.ts";

export const OperationRef = z.object({ operationId: idRef("operation") });
export const ListOperationsInput = z.object({
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]).optional(),
  targetId: z.string().max(40).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

type OpRow = {
  id: string;
  kind: string;
  targetType: string;
  targetId: string;
  status: OperationDto["status"];
  progress: number;
  steps: unknown;
  error: string | null;
  requestedBy: string;
  cancelledBy: string | null;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

export function operationDto(r: OpRow, targetName: string | null = null): OperationDto {
  return {
    id: asId("operation", r.id),
    kind: r.kind,
    targetType: r.targetType,
    targetId: r.targetId,
    targetName,
    status: r.status,
    progress: r.progress,
    steps: z.array(OperationStep).parse(r.steps),
    error: r.error,
    requestedBy: r.requestedBy,
    cancelledBy: r.cancelledBy,
    attempts: r.attempts,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

export async function createOperation(
  tx: DbTx,
  ctx: Ctx,
  o: {
    kind: OperationKind;
    targetType: string;
    targetId: string;
    steps: OperationStep[];
    idempotencyKey: string | null;
    priorStatus?: string;
  },
): Promise<{ id: OperationId }> {
  const row = await tx.operation.create({
    data: {
      id: ctx.newId("operation"),
      orgId: ctx.actor.orgId,
      kind: o.kind,
      targetType: o.targetType,
      targetId: o.targetId,
      steps: o.steps,
      requestedBy: ctx.actor.email,
      idempotencyKey: o.idempotencyKey,
      priorStatus: o.priorStatus ?? null,
    },
    select: { id: true },
  });
  return { id: asId("operation", row.id) };
}

export async function listOperations(
  ctx: Ctx,
  input: z.input<typeof ListOperationsInput> = {},
): Promise<OperationDto[]> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const q = ListOperationsInput.parse(input);
  // raw: mapping a page of rows through Prisma's client cost more than the query itself (50 rows:
  // 3.0 ms of the console's CPU against 1.2 ms; the console's most frequent read after the groups)
  const status = q.status ? Prisma.sql`AND status = ${q.status}::"OperationStatus"` : Prisma.empty;
  const target = q.targetId ? Prisma.sql`AND target_id = ${q.targetId}` : Prisma.empty;
  const rows = await ctx.db.$queryRaw<OpRow[]>`
    SELECT id, kind, target_type AS "targetType", target_id AS "targetId", status::text AS status, progress, steps,
      error, requested_by AS "requestedBy", cancelled_by AS "cancelledBy", attempts,
      created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt"
    FROM operations
    WHERE org_id = ${ctx.actor.orgId} ${status} ${target}
    ORDER BY created_at DESC, id DESC
    LIMIT ${q.limit}`;
  const names = await targetNames(ctx.db, ctx.actor.orgId, rows);
  return rows.map((r) => operationDto(r, names.get(r.targetId) ?? null));
}

export async function getOperation(ctx: Ctx, input: z.infer<typeof OperationRef>): Promise<OperationDto> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const row = await ctx.db.operation.findFirst({ where: { id: input.operationId, orgId: ctx.actor.orgId } });
  if (!row) throw notFound("operation");
  return operationDto(row, (await targetNames(ctx.db, ctx.actor.orgId, [row])).get(row.targetId) ?? null);
}

/** A failed operation runs again from where it stopped (steps done stay done; commands are idempotent), unless its target has changed since. */
export async function retryOperation(
  ctx: Ctx,
  queue: OperationQueue,
  input: z.infer<typeof OperationRef>,
): Promise<OperationDto> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const row = await ctx.db.operation.findFirst({ where: { id: input.operationId, orgId: ctx.actor.orgId } });
  if (!row) throw notFound("operation");
  if (row.status !== "failed")
    throw new DomainError("OPERATION_STATE", `only a failed operation can be retried (this one is ${row.status})`);
  // a later change to the same target (a start after a failed stop, say) makes this one stale
  const newer = await ctx.db.operation.findFirst({
    where: { orgId: ctx.actor.orgId, targetId: row.targetId, createdAt: { gt: row.createdAt } },
    select: { kind: true, status: true },
  });
  if (newer)
    throw new DomainError(
      "OPERATION_STATE",
      `${row.targetId} has had a ${newer.kind} (${newer.status}) since: ask for what you want now instead of retrying this one`,
    );
  const updated = await ctx.db.$transaction(async (tx) => {
    const u = await tx.operation.update({
      where: { id: row.id },
      data: { status: "queued", error: null, finishedAt: null, cancelledBy: null, enqueuedAt: null },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "operation.retry",
      targetType: "operation",
      targetId: row.id,
      before: { status: row.status, error: row.error },
    });
    return u;
  });
  await dispatchOperation(ctx, queue, { id: row.id, kind: row.kind as OperationKind, attempts: updated.attempts });
  return operationDto(updated);
}

/**
 * A short string that changes whenever an operation or instance of the organization changes
 * (status, progress, port, reason): the console's live stream sends an event when it moves.
 */
export async function changeMarker(ctx: Ctx): Promise<string> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const [ops, instances] = await Promise.all([
    // ties broken by id: rows written together (a bulk action, a seed) share a time, and Postgres
    // may return them in another order from one plan to the next, which read as a change (CI saw a
    // page fetch everything again with nothing changed)
    ctx.db.operation.findMany({
      where: { orgId: ctx.actor.orgId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 50,
      select: { id: true, status: true, progress: true },
    }),
    ctx.db.instance.findMany({
      where: { orgId: ctx.actor.orgId },
      orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      take: 1,
      select: { id: true, updatedAt: true },
    }),
  ]);
  return `${ops.map((o) => `${o.id}:${o.status}:${o.progress}`).join(",")}|${instances.map((i) => `${i.id}@${i.updatedAt.getTime()}`).join(",")}`;
}
