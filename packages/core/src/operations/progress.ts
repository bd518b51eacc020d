import { OperationStep } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import type { CoreDeps } from "../context.ts";
import { waitClock, type WaitClock } from "./parking.ts";

// The worker's side of an operation (system, no actor): claim it, record its steps, finish it.

export interface OperationProgress {
  step(name: string, status: OperationStep["status"], detail?: string | null): Promise<void>;
  /** the clock of one of its waits (`key`: what it waits for), which may park the run (see parking.ts) */
  waitClock(key: string, o: { parkAfterMs?: number | undefined; maxLookMs?: number }): WaitClock;
}

/**
 * Marks an operation running (attempt + 1), or resumes its parked attempt; undefined if it is already finished (a duplicate
 * delivery: nothing to do). `resumeRunningAfterMs`: a running one is taken over only once it has
 * run that long (its runner presumably died); a younger one is left to its runner (undefined too).
 */
export async function beginOperation(deps: CoreDeps, operationId: string, o: { resumeRunningAfterMs?: number } = {}) {
  // a run that gave its worker slot back while waiting, resumed: the same attempt goes on (its
  // start, which the deadline sweep measures, and its wait's start stand)
  const parked = await deps.db.operation.findFirst({
    where: { id: operationId, status: "running", waitSince: { not: null } },
  });
  if (parked) return parked;
  const now = deps.clock();
  const running =
    o.resumeRunningAfterMs === undefined
      ? { status: "running" as const }
      : { status: "running" as const, startedAt: { lt: new Date(now.getTime() - o.resumeRunningAfterMs) } };
  const claimed = await deps.db.operation.updateMany({
    where: { id: operationId, OR: [{ status: "queued" }, running] },
    data: { status: "running", startedAt: now, attempts: { increment: 1 }, waitKey: null, waitSince: null },
  });
  if (claimed.count === 0) return undefined;
  return deps.db.operation.findUniqueOrThrow({ where: { id: operationId } });
}

export function progressOf(deps: CoreDeps, operationId: string): OperationProgress {
  return {
    waitClock: (key, o) => waitClock(deps, operationId, key, o),
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

/** The operation's steps as recorded (none if it is gone). */
export async function stepsOf(deps: Pick<CoreDeps, "db">, operationId: string): Promise<OperationStep[]> {
  const row = await deps.db.operation.findUnique({ where: { id: operationId }, select: { steps: true } });
  return z.array(OperationStep).catch([]).parse(row?.steps);
}

/** The step of the operation that is running now, if one is. */
export async function runningStep(deps: Pick<CoreDeps, "db">, operationId: string): Promise<OperationStep | undefined> {
  return (await stepsOf(deps, operationId)).find((s) => s.status === "running");
}

/** What the step now running waits for (its detail), as the console shows it while the worker has parked the wait. */
export async function noteRunningStep(deps: CoreDeps, operationId: string, detail: string): Promise<void> {
  const running = await runningStep(deps, operationId);
  if (running && running.detail !== detail) await progressOf(deps, operationId).step(running.name, "running", detail);
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

/**
 * An operation whose job gave up (its last attempt failed: Postgres down longer than the job's
 * retry budget, say), or that ran past its deadline, ends `failed` with the reason, so it is never
 * left `running` and can be retried; an instance it left half-way (pending, starting, stopping) is
 * marked failed with the same reason, so the instance and its operation agree. False if it had
 * already finished (nothing to do).
 */
export async function failAbandonedOperation(
  deps: Pick<CoreDeps, "db" | "clock">,
  operationId: string,
  reason: string,
): Promise<boolean> {
  const error = `stopped before it finished (${reason.slice(0, 1500)}); retry it`;
  return deps.db.$transaction(async (tx) => {
    const { count } = await tx.operation.updateMany({
      where: { id: operationId, status: { in: ["queued", "running"] } },
      data: { status: "failed", finishedAt: deps.clock(), error },
    });
    if (count === 0) return false;
    const op = await tx.operation.findUniqueOrThrow({ where: { id: operationId } });
    if (op.targetType === "instance")
      await tx.instance.updateMany({
        where: { id: op.targetId, status: { in: ["pending", "starting", "stopping"] } },
        data: { status: "failed", statusReason: `${op.kind} ${error}` },
      });
    return true;
  });
}

/** Every step has a deadline (a command 120 s, the VEBs 60 s); no attempt runs longer than this. */
export const OPERATION_DEADLINE_MS = 10 * 60_000;

/**
 * The durable backstop of "never `running` for ever": an operation still running `deadlineMs` after
 * its last attempt began (its worker and the job's failure mark were lost together, or the mark never
 * reached Postgres) is failed with the reason. Returns the operations it failed.
 */
export async function failOverdueOperations(
  deps: Pick<CoreDeps, "db" | "clock">,
  deadlineMs = OPERATION_DEADLINE_MS,
): Promise<string[]> {
  const overdue = await deps.db.operation.findMany({
    where: { status: "running", startedAt: { lt: new Date(deps.clock().getTime() - deadlineMs) } },
    select: { id: true },
    take: 100,
  });
  const failedIds: string[] = [];
  for (const { id } of overdue)
    if (
      await failAbandonedOperation(
        deps,
        id,
        `it ran past its ${Math.round(deadlineMs / 1000)} s deadline: its worker was lost, or a dependency was down longer than its retries`,
      )
    )
      failedIds.push(id);
  return failedIds;
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
