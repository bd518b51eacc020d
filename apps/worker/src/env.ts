import { z } from "zod";

export const WorkerEnv = z.object({
  DATABASE_URL: z.string().url().startsWith("postgres", "must be a postgresql:// URL"),
  REDIS_URL: z.string().url().startsWith("redis", "must be a redis:// URL").default("redis://127.0.0.1:6379"),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  TSC_OPENFLOW_PORT: z.coerce.number().int().min(1).max(65535).default(6653),
  TSC_BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),
  /** Set to 0 to run the worker without the embedded controller (e.g. a jobs-only replica). */
  TSC_EMBEDDED: z.enum(["0", "1"]).default("1"),
  /** BullMQ key prefix (default BullMQ's "bull"); a test run uses its own so no other worker takes its jobs. */
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
  /** Re-queue operations still queued after this long (their job never reached Redis); 0 turns the sweeper off. */
  SWEEP_QUEUED_AFTER_MS: z.coerce.number().int().min(0).default(60_000),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** The process environment, validated; the only place the worker reads it. */
export function workerEnv(): WorkerEnv {
  return parseWorkerEnv(process.env);
}

export function parseWorkerEnv(source: Record<string, string | undefined>): WorkerEnv {
  const result = WorkerEnv.safeParse(source);
  if (!result.success) {
    throw new Error(`the worker's environment is invalid:\n${result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  return result.data;
}
