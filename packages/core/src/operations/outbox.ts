import type { OperationKind } from "@nvi/jobs";
import type { CoreDeps } from "../context.ts";
import type { OperationQueue } from "./queue.ts";

// The outbox: the operation row, committed in the same transaction as the change it carries, is the
// record that its job must reach Redis. `enqueued_at` is set once it has; until then the relay
// (the worker, every second) enqueues it. The job id is the operation id (and round), so enqueueing
// twice is harmless.

/** How long a request waits for Redis before it answers with its operation anyway (the relay queues it later). */
export const ENQUEUE_TIMEOUT_MS = 1_000;

export type Unqueued = { id: string; kind: OperationKind; attempts: number };

class EnqueueTimeout extends Error {
  constructor(ms: number) {
    super(`Redis did not take the job within ${ms} ms`);
  }
}

/** The enqueue, abandoned after `ms` (a late answer is ignored: enqueueing is idempotent). */
function enqueueWithin(queue: OperationQueue, op: Unqueued, ms: number): Promise<void> {
  const sent = queue.enqueue(op.kind, op.id, op.attempts);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnqueueTimeout(ms)), ms);
  });
  sent.catch(() => undefined); // a rejection after the timeout has nobody waiting for it
  return Promise.race([sent, late]).finally(() => clearTimeout(timer));
}

/**
 * Puts a committed operation's job in Redis and marks it enqueued. Never throws: false when Redis
 * (or the mark) did not answer in time, and the relay does it within seconds of Redis coming back.
 * A request calls this after its commit, so a Redis outage never turns a done change into an error.
 */
export async function dispatchOperation(
  deps: Pick<CoreDeps, "db" | "clock">,
  queue: OperationQueue,
  op: Unqueued,
  o: { timeoutMs?: number } = {},
): Promise<boolean> {
  try {
    await enqueueWithin(queue, op, o.timeoutMs ?? ENQUEUE_TIMEOUT_MS);
  } catch {
    return false;
  }
  await deps.db.operation
    .updateMany({ where: { id: op.id, enqueuedAt: null }, data: { enqueuedAt: deps.clock() } })
    .catch(() => undefined); // unmarked, the relay enqueues it once more: a no-op
  return true;
}

/** The same operation, dispatched again when a retried request finds it committed but never queued. */
export async function dispatchIfUnqueued(
  deps: Pick<CoreDeps, "db" | "clock">,
  queue: OperationQueue,
  operationId: string,
): Promise<void> {
  const row = await deps.db.operation.findUnique({
    where: { id: operationId },
    select: { id: true, kind: true, attempts: true, status: true, enqueuedAt: true },
  });
  if (row?.status === "queued" && !row.enqueuedAt)
    await dispatchOperation(deps, queue, { id: row.id, kind: row.kind as OperationKind, attempts: row.attempts });
}

/**
 * One pass of the relay: every queued operation whose job is not in Redis yet is enqueued, oldest
 * first, under `FOR UPDATE SKIP LOCKED` (two relays never take the same row). Stops at the first
 * enqueue Redis does not take in time (it is down: the rest wait for the next pass). Returns how many it queued.
 */
export async function relayOperations(
  deps: Pick<CoreDeps, "db" | "clock">,
  queue: OperationQueue,
  o: { batch?: number; timeoutMs?: number } = {},
): Promise<number> {
  const batch = o.batch ?? 100;
  return deps.db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<Unqueued[]>`
        SELECT id, kind, attempts FROM operations
        WHERE status = 'queued' AND enqueued_at IS NULL
        ORDER BY created_at LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
      const sent: string[] = [];
      for (const row of rows) {
        try {
          await enqueueWithin(queue, row, o.timeoutMs ?? ENQUEUE_TIMEOUT_MS);
        } catch {
          break;
        }
        sent.push(row.id);
      }
      if (sent.length)
        await tx.operation.updateMany({ where: { id: { in: sent } }, data: { enqueuedAt: deps.clock() } });
      return sent.length;
    },
    { maxWait: 5_000, timeout: 60_000 },
  );
}

/**
 * The fallback for a job Redis lost after taking it (a Redis restart without persistence): an
 * operation still queued `olderThanMs` after its enqueue is handed back to the relay. Returns how many.
 */
export async function requeueStaleOperations(deps: Pick<CoreDeps, "db" | "clock">, olderThanMs: number) {
  const { count } = await deps.db.operation.updateMany({
    where: { status: "queued", enqueuedAt: { lt: new Date(deps.clock().getTime() - olderThanMs) } },
    data: { enqueuedAt: null },
  });
  return count;
}
