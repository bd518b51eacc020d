import { listenForOperationWakes } from "@nvi/core";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";

type Log = (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;

/**
 * The jobs of parked operations, by operation id (a Redis hash under the queue prefix, so any
 * worker can wake any parked job): written as a job parks, removed as it runs again. Never throws.
 */
export interface ParkedJobs {
  add(operationId: string, jobId: string): Promise<unknown>;
  remove(operationId: string): Promise<unknown>;
  jobOf(operationId: string): Promise<string | null>;
}

export function parkedJobs(redis: Redis, prefix: string): ParkedJobs {
  const key = `nvi:${prefix}:parked-jobs`;
  return {
    // never throws: a parked job no wake can find still runs at its next look
    add: (operationId, jobId) => redis.hset(key, operationId, jobId).catch(() => undefined),
    remove: (operationId) => redis.hdel(key, operationId).catch(() => undefined),
    jobOf: (operationId) => redis.hget(key, operationId),
  };
}

/** Runs a parked operation's job now instead of at its next look; false if it is not parked (running, done, unknown). */
export async function wakeParked(queue: Queue, parked: ParkedJobs, operationId: string): Promise<boolean> {
  const jobId = await parked.jobOf(operationId);
  const job = jobId ? await queue.getJob(jobId) : undefined;
  if (!job || !(await job.isDelayed())) return false;
  // it may have started meanwhile (its time came, another worker woke it): then there is nothing to promote
  return job.promote().then(
    () => true,
    () => false,
  );
}

/** Every worker LISTENs for wakes (an agent answered a parked operation's command) and promotes the job. */
export function startWakes(o: { databaseUrl: string; queue: Queue; parked: ParkedJobs; log: Log }) {
  return listenForOperationWakes(
    o.databaseUrl,
    (operationId) =>
      void wakeParked(o.queue, o.parked, operationId).catch((e: Error) =>
        o.log("warn", "could not wake a parked operation (it runs at its next look)", {
          operationId,
          error: e.message,
        }),
      ),
    (e) =>
      o.log("warn", "operation-wake channel failed; reconnecting (parked operations still look again)", {
        error: e.message,
      }),
  );
}
