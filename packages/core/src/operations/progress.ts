import { OperationStep } from "@nvi/contracts";
import type { OperationKind } from "@nvi/jobs";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import type { CoreDeps } from "../context.ts";

// The worker's side of an operation (system, no actor): claim it, record its steps, finish it.

export interface OperationProgress {
  step(name: string, status: OperationStep["status"], detail?: string | null): Promise<void>;
}

/**
 * Marks an operation running (attempt + 1); undefined if it is already finished (a duplicate
 * delivery: nothing to do). `resumeRunningAfterMs`: a running one is taken over only once it has
 * run that long (its runner presumably died); a younger one is left to its runner (undefined too).
 */
export async function beginOperation(deps: CoreDeps, operationId: string, o: { resumeRunningAfterMs?: number } = {}) {
  const now = deps.clock();
  const running =
    o.resumeRunningAfterMs === undefined
      ? { status: "running" as const }
      : { status: "running" as const, startedAt: { lt: new Date(now.getTime() - o.resumeRunningAfterMs) } };
  const claimed = await deps.db.operation.updateMany({
    where: { id: operationId, OR: [{ status: "queued" }, running] },
    data: { status: "running", startedAt: now, attempts: { increment: 1 } },
  });
  if (claimed.count === 0) return undefined;
  return deps.db.operation.findUniqueOrThrow({ where: { id: operationId } });
}

export function progressOf(deps: CoreDeps, operationId: string): OperationProgress {
  return {
    async step(name, status, detail = null) {
      await deps.db.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<
          { steps: unknown }[]
        >`SELECT steps FROM operations WHERE id = ${operationId} FOR UPDATE`;
        const steps = z.array(OperationStep).parse(locked[0]?.steps ?? []);
        const next = steps.map((s) =>
          s.name === name ? { ...s, status, at: deps.clock().toISOString(), detail: detail ?? s.detail } : s,
        );
        const done = next.filter((s) => s.status === "done" || s.status === "skipped").length;
        await tx.operation.update({
          where: { id: operationId },
          data: { steps: next, progress: Math.round((100 * done) / Math.max(1, next.length)) },
        });
      });
    },
  };
}

export async function finishOperation(
  deps: CoreDeps,
  operationId: string,
  outcome: { ok: true } | { ok: false; error: string },
): Promise<void> {
  await deps.db.operation.update({
    where: { id: operationId },
    data: outcome.ok
      ? { status: "succeeded", progress: 100, finishedAt: deps.clock(), error: null }
      : { status: "failed", finishedAt: deps.clock(), error: outcome.error.slice(0, 2000) },
  });
}

/** Operations queued longer than `olderThanMs` (their job may never have reached Redis): the worker queues them again. */
export async function staleQueuedOperations(
  deps: CoreDeps,
  olderThanMs: number,
): Promise<{ id: string; kind: OperationKind }[]> {
  const rows = await deps.db.operation.findMany({
    where: { status: "queued", createdAt: { lt: new Date(deps.clock().getTime() - olderThanMs) } },
    select: { id: true, kind: true },
    take: 100,
  });
  return rows.map((r) => ({ id: r.id, kind: r.kind as OperationKind }));
}

/** The worker asks at each safe step boundary: who wants this operation cancelled (null: nobody). */
export async function cancelRequestedBy(deps: CoreDeps, operationId: string): Promise<string | null> {
  return (
    (await deps.db.operation.findUnique({ where: { id: operationId }, select: { cancelledBy: true } }))?.cancelledBy ??
    null
  );
}

/** The operation ends `cancelled`: steps not done are skipped, the error says who cancelled. */
export async function markCancelled(tx: DbTx, deps: Pick<CoreDeps, "clock">, operationId: string, by: string) {
  const row = await tx.operation.findUniqueOrThrow({ where: { id: operationId }, select: { steps: true } });
  const steps = z
    .array(OperationStep)
    .parse(row.steps)
    .map((s) => (s.status === "done" ? s : { ...s, status: "skipped" as const }));
  return tx.operation.update({
    where: { id: operationId },
    data: { status: "cancelled", cancelledBy: by, error: `cancelled by ${by}`, finishedAt: deps.clock(), steps },
  });
}
