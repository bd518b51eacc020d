import { OperationDto, OperationStep } from "@nvi/contracts";
import { JobProducer, OPERATION_JOBS, type OperationKind } from "@nvi/jobs";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx, CoreDeps } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";

/** Where operations go to be executed (the worker's queue); the job's idempotency key is the operation id. */
export interface OperationQueue {
  /** `round` > 0 for a retry: a new job for the same operation (the first one finished). */
  enqueue(kind: OperationKind, operationId: string, round?: number): Promise<void>;
}
export type { OperationKind };

/** A queue with its own Redis connection (`prefix`: BullMQ key prefix, tests use their own); close it when done. */
export function redisOperationQueue(redisUrl: string, prefix?: string): OperationQueue & { close(): Promise<void> } {
  const producer = new JobProducer(redisUrl, prefix);
  return { ...jobQueue(producer), close: () => producer.close() };
}

/** The queue over BullMQ: one job per operation (job id = operation id, so a second enqueue is a no-op). */
export function jobQueue(producer: JobProducer): OperationQueue {
  return {
    async enqueue(kind, operationId, round = 0) {
      await producer.enqueue(OPERATION_JOBS[kind], { operationId }, { idempotencyKey: round ? `${operationId}-r${round}` : operationId });
    },
  };
}

export const OperationRef = z.object({ operationId: z.string().min(1).max(40) });
export const ListOperationsInput = z.object({
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]).optional(),
  targetId: z.string().max(40).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

type OpRow = {
  id: string; kind: string; targetType: string; targetId: string; status: OperationDto["status"]; progress: number; steps: unknown; error: string | null;
  requestedBy: string; cancelledBy: string | null; attempts: number; createdAt: Date; startedAt: Date | null; finishedAt: Date | null;
};

export function operationDto(r: OpRow): OperationDto {
  return {
    id: r.id, kind: r.kind, targetType: r.targetType, targetId: r.targetId, status: r.status, progress: r.progress, steps: z.array(OperationStep).parse(r.steps),
    error: r.error, requestedBy: r.requestedBy, cancelledBy: r.cancelledBy, attempts: r.attempts, createdAt: r.createdAt.toISOString(), startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

export async function createOperation(
  tx: DbTx,
  ctx: Ctx,
  o: { kind: OperationKind; targetType: string; targetId: string; steps: OperationStep[]; idempotencyKey: string | null; priorStatus?: string },
): Promise<{ id: string }> {
  return tx.operation.create({
    data: {
      id: ctx.newId("operation"), orgId: ctx.actor.orgId, kind: o.kind, targetType: o.targetType, targetId: o.targetId, steps: o.steps, requestedBy: ctx.actor.email,
      idempotencyKey: o.idempotencyKey, priorStatus: o.priorStatus ?? null,
    },
    select: { id: true },
  });
}

export async function listOperations(ctx: Ctx, input: z.input<typeof ListOperationsInput> = {}): Promise<OperationDto[]> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const q = ListOperationsInput.parse(input);
  const rows = await ctx.db.operation.findMany({
    where: { orgId: ctx.actor.orgId, ...(q.status ? { status: q.status } : {}), ...(q.targetId ? { targetId: q.targetId } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: q.limit,
  });
  return rows.map(operationDto);
}

export async function getOperation(ctx: Ctx, input: z.infer<typeof OperationRef>): Promise<OperationDto> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const row = await ctx.db.operation.findFirst({ where: { id: input.operationId, orgId: ctx.actor.orgId } });
  if (!row) throw notFound("operation");
  return operationDto(row);
}

/** A failed operation runs again from where it stopped (steps done stay done; commands are idempotent), unless its target has changed since. */
export async function retryOperation(ctx: Ctx, queue: OperationQueue, input: z.infer<typeof OperationRef>): Promise<OperationDto> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const row = await ctx.db.operation.findFirst({ where: { id: input.operationId, orgId: ctx.actor.orgId } });
  if (!row) throw notFound("operation");
  if (row.status !== "failed") throw new DomainError("OPERATION_STATE", `only a failed operation can be retried (this one is ${row.status})`);
  // a later change to the same target (a start after a failed stop, say) makes this one stale
  const newer = await ctx.db.operation.findFirst({ where: { orgId: ctx.actor.orgId, targetId: row.targetId, createdAt: { gt: row.createdAt } }, select: { kind: true, status: true } });
  if (newer) throw new DomainError("OPERATION_STATE", `${row.targetId} has had a ${newer.kind} (${newer.status}) since: ask for what you want now instead of retrying this one`);
  const updated = await ctx.db.$transaction(async (tx) => {
    const u = await tx.operation.update({ where: { id: row.id }, data: { status: "queued", error: null, finishedAt: null, cancelledBy: null } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), { action: "operation.retry", targetType: "operation", targetId: row.id, before: { status: row.status, error: row.error } });
    return u;
  });
  await queue.enqueue(row.kind as OperationKind, row.id, updated.attempts);
  return operationDto(updated);
}

// ---- the worker's side (system, no actor) -------------------------------------------------------

export interface OperationProgress {
  step(name: string, status: OperationStep["status"], detail?: string | null): Promise<void>;
}

/** Marks an operation running (attempt + 1); undefined if it is already finished (a duplicate delivery: nothing to do). */
export async function beginOperation(deps: CoreDeps, operationId: string) {
  const now = deps.clock();
  const claimed = await deps.db.operation.updateMany({ where: { id: operationId, status: { in: ["queued", "running"] } }, data: { status: "running", startedAt: now, attempts: { increment: 1 } } });
  if (claimed.count === 0) return undefined;
  return deps.db.operation.findUniqueOrThrow({ where: { id: operationId } });
}

export function progressOf(deps: CoreDeps, operationId: string): OperationProgress {
  return {
    async step(name, status, detail = null) {
      await deps.db.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<{ steps: unknown }[]>`SELECT steps FROM operations WHERE id = ${operationId} FOR UPDATE`;
        const steps = z.array(OperationStep).parse(locked[0]?.steps ?? []);
        const next = steps.map((s) => (s.name === name ? { ...s, status, at: deps.clock().toISOString(), detail: detail ?? s.detail } : s));
        const done = next.filter((s) => s.status === "done" || s.status === "skipped").length;
        await tx.operation.update({ where: { id: operationId }, data: { steps: next, progress: Math.round((100 * done) / Math.max(1, next.length)) } });
      });
    },
  };
}

export async function finishOperation(deps: CoreDeps, operationId: string, outcome: { ok: true } | { ok: false; error: string }): Promise<void> {
  await deps.db.operation.update({
    where: { id: operationId },
    data: outcome.ok ? { status: "succeeded", progress: 100, finishedAt: deps.clock(), error: null } : { status: "failed", finishedAt: deps.clock(), error: outcome.error.slice(0, 2000) },
  });
}

/** Operations queued longer than `olderThanMs` (their job may never have reached Redis): the worker queues them again. */
export async function staleQueuedOperations(deps: CoreDeps, olderThanMs: number): Promise<{ id: string; kind: OperationKind }[]> {
  const rows = await deps.db.operation.findMany({ where: { status: "queued", createdAt: { lt: new Date(deps.clock().getTime() - olderThanMs) } }, select: { id: true, kind: true }, take: 100 });
  return rows.map((r) => ({ id: r.id, kind: r.kind as OperationKind }));
}

/**
 * A short string that changes whenever an operation or instance of the organization changes
 * (status, progress, port, reason): the console's live stream sends an event when it moves.
 */
export async function changeMarker(ctx: Ctx): Promise<string> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const [ops, instances] = await Promise.all([
    ctx.db.operation.findMany({ where: { orgId: ctx.actor.orgId }, orderBy: { createdAt: "desc" }, take: 50, select: { id: true, status: true, progress: true } }),
    ctx.db.instance.findMany({ where: { orgId: ctx.actor.orgId }, orderBy: { updatedAt: "desc" }, take: 1, select: { id: true, updatedAt: true } }),
  ]);
  return `${ops.map((o) => `${o.id}:${o.status}:${o.progress}`).join(",")}|${instances.map((i) => `${i.id}@${i.updatedAt.getTime()}`).join(",")}`;
}
