import { z } from "zod";

export const WorkerEnv = z
  .object({
    DATABASE_URL: z.string().url().startsWith("postgres", "must be a postgresql:// URL"),
    REDIS_URL: z.string().url().startsWith("redis", "must be a redis:// URL").default("redis://127.0.0.1:6379"),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    TSC_OPENFLOW_PORT: z.coerce.number().int().min(1).max(65535).default(6653),
    TSC_BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),
    /** Set to 0 to run the worker without the embedded controller (e.g. a jobs-only replica). */
    TSC_EMBEDDED: z.enum(["0", "1"]).default("1"),
    /** BullMQ key prefix (default BullMQ's "bull"); a test run uses its own so no other worker takes its jobs. */
    QUEUE_PREFIX: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/)
      .optional(),
    /** How often the outbox relay looks for committed operations whose job is not in Redis yet. */
    RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
    /**
     * An operation still running this long after its attempt began is failed with the reason (its
     * worker and its job's failure mark were lost together): nothing stays `running` for ever.
     */
    OPERATION_DEADLINE_MS: z.coerce.number().int().min(1_000).default(600_000),
    /** How long a step waits for a host's agent to answer a command before the operation fails. */
    COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(120_000),
    /** How long a launch or start waits for the VEBs it programs to connect to the TSC before it fails. */
    VEB_DEADLINE_MS: z.coerce.number().int().min(1_000).default(60_000),
    /**
     * How long a wait for an agent or a VEB keeps its worker slot before it gives it back (the job is
     * delayed and looks again later, same deadline): a quick answer costs no extra latency.
     */
    PARK_AFTER_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
    /** At most this many of one organization's operations run in worker slots at once (across workers); the rest wait, delayed. */
    ORG_MAX_RUNNING: z.coerce.number().int().min(1).max(1_000).default(4),
    /** Re-send operations still queued this long after their enqueue (Redis lost the job); 0 turns the sweeper off. */
    SWEEP_QUEUED_AFTER_MS: z.coerce.number().int().min(0).default(60_000),
    /**
     * The secret the fabric CA's key is encrypted under; the console must have the same one. Default:
     * AUTH_SECRET (what scripts/up.sh generates for both).
     */
    FABRIC_CA_SECRET: z.string().min(32, "at least 32 characters").optional(),
    AUTH_SECRET: z.string().min(32, "at least 32 characters").optional(),
    /** The key tenants' secrets (containers' environments, registry passwords) are sealed under; the console must have the same one. Default: AUTH_SECRET. */
    NVI_SECRETS_KEY: z.string().min(32, "at least 32 characters").optional(),
    /** 1 = the TSC listens in plain TCP, switches unauthenticated: development only, logged loudly. Default: mutual TLS. */
    TSC_INSECURE_TCP: z.enum(["0", "1"]).default("0"),
  })
  .refine((e) => e.TSC_EMBEDDED === "0" || e.TSC_INSECURE_TCP === "1" || Boolean(e.FABRIC_CA_SECRET ?? e.AUTH_SECRET), {
    path: ["FABRIC_CA_SECRET"],
    message:
      "the TSC's mutual TLS needs the fabric CA: set FABRIC_CA_SECRET (or AUTH_SECRET), the same as the console's",
  });
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** The secret the fabric CA is kept under (the console uses the same rule). */
export function fabricSecretOf(env: WorkerEnv): string | undefined {
  return env.FABRIC_CA_SECRET ?? env.AUTH_SECRET;
}

/** The key tenants' secrets are sealed under (the console uses the same rule). */
export function secretsKeyOf(env: WorkerEnv): string | undefined {
  return env.NVI_SECRETS_KEY ?? env.AUTH_SECRET;
}

/** The process environment, validated; the only place the worker reads it. */
export function workerEnv(): WorkerEnv {
  return parseWorkerEnv(process.env);
}

export function parseWorkerEnv(source: Record<string, string | undefined>): WorkerEnv {
  const result = WorkerEnv.safeParse(source);
  if (!result.success) {
    throw new Error(
      `the worker's environment is invalid:\n${result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    );
  }
  return result.data;
}
