import { listenChannel } from "@nvi/db";
import type { CoreDeps } from "../context.ts";

/**
 * Waiting on someone else (a host's agent, a VEB) must not hold one of the worker's few slots: a
 * tenant whose agent never answers would otherwise hold them all. A wait therefore polls in its
 * slot for a short grace (`parkAfterMs`: a quick answer costs nothing), then throws
 * `OperationParked`; the worker delays the job to `resumeAt` and gives the slot back. The wait's
 * start is kept on the operation row (`wait_key`, `wait_since`), so the resumed run keeps the same
 * deadline, measured from when the wait began, and the attempt keeps its start (the deadline sweep).
 */
export class OperationParked extends Error {
  override readonly name = "OperationParked";
  constructor(
    /** when to run the operation again (epoch ms) */
    readonly resumeAt: number,
    /** what it waits for, as its step says */
    readonly waitingFor: string,
  ) {
    super(`parked until ${new Date(resumeAt).toISOString()}: ${waitingFor}`);
  }
}

/**
 * How long a parked wait sleeps before it looks again: a tenth of how long it has waited, between
 * half a second and `maxMs` (default 5 s: an answer that comes late costs at most ~10% more, a wait
 * of minutes one short look every 5 s; an agent's answer wakes the operation anyway), never past
 * its deadline.
 */
export function resumeDelayMs(waitedMs: number, leftMs: number, maxMs = 5_000): number {
  const delay = Math.min(maxMs, Math.max(500, Math.round(waitedMs / 10)));
  return Math.max(0, Math.min(delay, leftMs));
}

/** Where a wait stands inside one run: polled in the slot until the grace is over, then parked. */
export interface WaitClock {
  /** when the wait began (epoch ms), recorded on the operation on the first look that had to wait */
  since(): Promise<number>;
  /** throws `OperationParked` once this run has waited its grace (never with `parkAfterMs` unset) */
  parkIfDue(deadline: number, waitingFor: string): Promise<void>;
  /** the wait is over: the operation forgets it */
  done(): Promise<void>;
}

/**
 * The clock of one wait of an operation (`key`: what it waits for, e.g. a command id). A wait with
 * the key the operation recorded is resumed (its start stands); any other key starts a new one.
 */
export function waitClock(
  deps: Pick<CoreDeps, "db" | "clock">,
  operationId: string,
  key: string,
  o: {
    parkAfterMs?: number | undefined;
    /** the longest it sleeps between looks once parked (see resumeDelayMs) */
    maxLookMs?: number;
    note?: (waitingFor: string) => Promise<void>;
  },
): WaitClock {
  const enteredAt = Date.now();
  let since: number | undefined;
  return {
    async since() {
      if (since !== undefined) return since;
      const op = await deps.db.operation.findUnique({
        where: { id: operationId },
        select: { waitKey: true, waitSince: true },
      });
      if (op?.waitKey === key && op.waitSince) since = op.waitSince.getTime();
      else {
        const now = deps.clock();
        await deps.db.operation.update({ where: { id: operationId }, data: { waitKey: key, waitSince: now } });
        since = now.getTime();
      }
      return since;
    },
    async parkIfDue(deadline, waitingFor) {
      if (o.parkAfterMs === undefined || Date.now() - enteredAt < o.parkAfterMs) return;
      const now = Date.now();
      const start = await this.since();
      await o.note?.(waitingFor);
      throw new OperationParked(now + resumeDelayMs(now - start, deadline - now, o.maxLookMs), waitingFor);
    },
    async done() {
      await deps.db.operation.updateMany({
        where: { id: operationId, waitKey: key },
        data: { waitKey: null, waitSince: null },
      });
    },
  };
}

/**
 * What a parked operation waited for has come (its host's agent answered): the worker that parked
 * it runs it again now rather than at `resumeAt`, so parking costs a quick answer nothing. A wake
 * that finds nothing parked does nothing; one that is lost leaves the operation to its `resumeAt`.
 */
export const OPERATION_WAKE_CHANNEL = "nvi_operation_wake";

export async function wakeOperation(deps: Pick<CoreDeps, "db">, operationId: string): Promise<void> {
  await deps.db.$executeRaw`SELECT pg_notify(${OPERATION_WAKE_CHANNEL}, ${operationId})`;
}

/** The worker's side: `onWake(operationId)` for every wake (LISTEN on its own connection, reconnecting). */
export function listenForOperationWakes(
  databaseUrl: string,
  onWake: (operationId: string) => void,
  onError: (e: Error) => void,
  onListening?: () => void,
): { close(): Promise<void> } {
  return listenChannel(databaseUrl, OPERATION_WAKE_CHANNEL, onWake, onError, onListening);
}
