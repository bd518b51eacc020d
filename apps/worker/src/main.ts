import { hostname } from "node:os";
import { createCoreDeps, isOperationKind, jobQueue, staleQueuedOperations } from "@nvi/core";
import { JobProducer, QUEUES, parseJob } from "@nvi/jobs";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { fabricSecretOf, workerEnv } from "./env.ts";
import { DbFabric } from "./fabric.ts";
import { log } from "./log.ts";
import { operationRunner, startPolicyFastPath } from "./policy-fast-path.ts";
import { startEmbeddedTsc } from "./tsc.ts";

/**
 * The worker: BullMQ consumer of the operations queue (instance launch / terminate / stop / start /
 * restart, system.echo), the embedded Tenant SDN Controller running the NVI mapping over what
 * Postgres knows (hosts' fabric facts, running instances), a sweeper that re-queues operations whose job never reached
 * Redis, and a heartbeat key in Redis.
 */
const env = workerEnv();
const workerId = `${hostname()}:${process.pid}`;
const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const heartbeat = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });

const fabricSecret = fabricSecretOf(env);
const deps = createCoreDeps(env.DATABASE_URL, fabricSecret ? { fabricSecret } : {});
const tscLog = {
  info: (msg: string, fields?: Record<string, unknown>) => log("info", `tsc: ${msg}`, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => log("warn", `tsc: ${msg}`, fields),
};
const fabric = new DbFabric(deps, tscLog);
const producer = new JobProducer(env.REDIS_URL, env.QUEUE_PREFIX);
const queue = jobQueue(producer);

/** One run per operation in this process: the policy fast path and the BullMQ job of the same operation share it. */
const runOnce = operationRunner(deps, fabric.dataPlane);

const worker = new Worker(
  QUEUES.operations,
  async (job) => {
    const { def, payload } = parseJob(job.name, job.data);
    const operationId = (payload as { operationId?: string }).operationId;
    log("info", "job started", { job: job.id, name: def.name, attempt: job.attemptsMade + 1, operationId });
    if (operationId && isOperationKind(def.name)) await runOnce(def.name, operationId);
    log("info", "job done", { job: job.id, name: def.name, version: def.version, operationId });
    return payload;
  },
  // a worker that dies mid-job (kill -9) loses its lock within 10 s; another (or the restarted) worker resumes the job
  {
    connection,
    concurrency: env.WORKER_CONCURRENCY,
    lockDuration: 10_000,
    stalledInterval: 5_000,
    ...(env.QUEUE_PREFIX ? { prefix: env.QUEUE_PREFIX } : {}),
  },
);
worker.on("failed", (job, error) =>
  log("error", "job failed", { job: job?.id, name: job?.name, error: error.message }),
);
worker.on("error", (error) => log("error", "worker error", { error: error.message }));

await fabric
  .refresh()
  .catch((e: Error) => log("warn", "could not read the fabric from the database yet", { error: e.message }));
const embedded =
  env.TSC_EMBEDDED === "1"
    ? await startEmbeddedTsc(deps, env, { ...fabric.mapping.tscOptions(), logger: tscLog })
    : null;
if (embedded) {
  fabric.attach(embedded.tsc);
  log("info", "tsc listening", { ...embedded.tsc.address, tls: env.TSC_INSECURE_TCP !== "1" });
}

/** A committed policy change reaches the TSC at once; its job is the durable fallback. */
const policyChanges = embedded
  ? startPolicyFastPath({ databaseUrl: env.DATABASE_URL, fabric, run: runOnce, log })
  : undefined;

/** Hosts' facts and instances change under us (heartbeats, other workers): re-read every few seconds. */
const refresher = setInterval(
  () => void fabric.refresh().catch((e: Error) => log("warn", "fabric refresh failed", { error: e.message })),
  5_000,
);
/** Every VEB's pair flows are read back and judged against policy twice a minute (drift is repaired and reported). */
const verifier = setInterval(
  () => void fabric.verifyAll().catch((e: Error) => log("warn", "policy verification failed", { error: e.message })),
  30_000,
);
/** An operation whose job never reached Redis (the console died between commit and enqueue) is queued again. */
const sweeper = setInterval(() => {
  if (env.SWEEP_QUEUED_AFTER_MS === 0) return;
  void staleQueuedOperations(deps, env.SWEEP_QUEUED_AFTER_MS)
    .then((ops) => Promise.all(ops.map((o) => queue.enqueue(o.kind, o.id))))
    .catch((e: Error) => log("warn", "sweeper failed", { error: e.message }));
}, 15_000);

/** Other processes (the console's status) see live workers by this key's TTL. */
const beat = () => heartbeat.set(`nvi:worker:${workerId}`, new Date().toISOString(), "EX", 15).catch(() => undefined);
await beat();
const timer = setInterval(() => void beat(), 5_000);
log("info", "worker started", { workerId, queue: QUEUES.operations, concurrency: env.WORKER_CONCURRENCY });

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log("info", "worker stopping", { signal });
  clearInterval(timer);
  clearInterval(refresher);
  clearInterval(verifier);
  clearInterval(sweeper);
  await worker.close();
  await policyChanges?.close();
  await producer.close();
  await embedded?.close();
  await heartbeat.del(`nvi:worker:${workerId}`).catch(() => undefined);
  heartbeat.disconnect();
  connection.disconnect();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
