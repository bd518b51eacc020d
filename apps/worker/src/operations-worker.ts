import { isOperationKind, OperationParked, type CoreDeps, type OperationKind } from "@nvi/core";
import { QUEUES, parseJob } from "@nvi/jobs";
import { DelayedError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { retryTakeAt, type OrgSlots } from "./fair-share.ts";
import type { ParkedJobs } from "./parked.ts";

type Log = (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;

/**
 * The BullMQ consumer of the operations queue. A slot is never held waiting on someone else: an
 * operation whose wait for an agent or a VEB outlasts its grace parks (`OperationParked`), and its
 * job is delayed to when it should look again (`moveToDelayed` + `DelayedError`: no attempt is
 * spent) while the slot serves other jobs; the run resumes from what Postgres holds, at once when
 * the agent answers (a wake: parked.ts), else at its next look. An organization
 * at its share of the slots (`orgSlots`) has its job delayed the same way, so no tenant, hostile or
 * unlucky, can queue everyone else behind its own operations.
 */
export function startOperationsWorker(o: {
  deps: CoreDeps;
  connection: Redis;
  prefix?: string | undefined;
  concurrency: number;
  run: (kind: OperationKind, operationId: string) => Promise<void>;
  slots: OrgSlots;
  /** the jobs of parked operations, for a wake to find (parked.ts) */
  parked?: ParkedJobs;
  /** the operations this worker runs, for a successor should it die (takeover.ts) */
  record?: { add(operationId: string): Promise<unknown>; remove(operationId: string): Promise<unknown> };
  log: Log;
}): Worker {
  const delay = async (job: Job, at: number, token: string | undefined): Promise<never> => {
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  };
  return new Worker(
    QUEUES.operations,
    async (job, token) => {
      const { def, payload } = parseJob(job.name, job.data);
      const operationId = (payload as { operationId?: string }).operationId;
      if (!operationId || !isOperationKind(def.name)) return payload;
      const op = await o.deps.db.operation.findUnique({
        where: { id: operationId },
        select: { orgId: true, status: true },
      });
      // finished (a duplicate delivery) or gone: the runner has nothing to do, no share is needed
      const orgId = op && (op.status === "queued" || op.status === "running") ? op.orgId : null;
      const holder = job.id ?? operationId;
      if (orgId && !(await o.slots.take(orgId, holder))) return delay(job, retryTakeAt(Date.now()), token);
      o.log("info", "job started", { job: job.id, name: def.name, attempt: job.attemptsMade + 1, operationId });
      try {
        await o.parked?.remove(operationId);
        await o.record?.add(operationId);
        await o.run(def.name, operationId);
      } catch (e) {
        if (!(e instanceof OperationParked)) throw e;
        o.log("info", "job parked: its slot is free until it looks again", {
          job: job.id,
          operationId,
          why: e.waitingFor,
        });
        await o.parked?.add(operationId, holder);
        return await delay(job, e.resumeAt, token);
      } finally {
        await o.record?.remove(operationId);
        if (orgId) await o.slots.release(orgId, holder).catch(() => undefined);
      }
      o.log("info", "job done", { job: job.id, name: def.name, version: def.version, operationId });
      return payload;
    },
    // a worker that dies mid-job (kill -9) loses its lock within 10 s; another (or the restarted) worker resumes the job
    {
      connection: o.connection,
      concurrency: o.concurrency,
      lockDuration: 10_000,
      stalledInterval: 5_000,
      ...(o.prefix ? { prefix: o.prefix } : {}),
    },
  );
}
