import { hostname } from "node:os";
import {
  createCoreDeps,
  failAbandonedOperation,
  failOverdueOperations,
  isOperationKind,
  jobQueue,
  OperationParked,
  relayOperations,
  requeueStaleOperations,
} from "@nvi/core";
import { JobProducer, QUEUES } from "@nvi/jobs";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { fabricSecretOf, secretsKeyOf, workerEnv } from "./env.ts";
import { DbFabric } from "./fabric.ts";
import { orgSlots } from "./fair-share.ts";
import { log } from "./log.ts";
import { startOperationsWorker } from "./operations-worker.ts";
import { parkedJobs, startWakes } from "./parked.ts";
import { operationRunner, startPolicyFastPath } from "./policy-fast-path.ts";
import { orphanedOperations, runningRecord } from "./takeover.ts";
import { startEmbeddedTsc } from "./tsc.ts";
import { startTunnelFeed, TunnelFeed } from "./tunnels.ts";

/**
 * The worker: BullMQ consumer of the operations queue (instance launch / terminate / stop / start /
 * restart, system.echo), the embedded Tenant SDN Controller running the NVI mapping over what
 * Postgres knows (hosts' fabric facts, running instances), the outbox relay that sends every committed
 * operation's job to Redis within a second of Redis answering, and a heartbeat key in Redis.
 */
const env = workerEnv();
const workerId = `${hostname()}:${process.pid}`;
const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const heartbeat = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });

const fabricSecret = fabricSecretOf(env);
const secretsKey = secretsKeyOf(env);
const deps = createCoreDeps(env.DATABASE_URL, {
  ...(fabricSecret ? { fabricSecret } : {}),
  ...(secretsKey ? { secretsKey } : {}),
});
const tscLog = {
  info: (msg: string, fields?: Record<string, unknown>) => log("info", `tsc: ${msg}`, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => log("warn", `tsc: ${msg}`, fields),
};
const fabric = new DbFabric(deps, tscLog);
const producer = new JobProducer(env.REDIS_URL, env.QUEUE_PREFIX);
const queue = jobQueue(producer);

/** One run per operation in this process: the policy fast path and the BullMQ job of the same operation share it. */
const runOnce = operationRunner(deps, fabric.dataPlane, {
  commandTimeoutMs: env.COMMAND_TIMEOUT_MS,
  vebDeadlineMs: env.VEB_DEADLINE_MS,
  parkAfterMs: env.PARK_AFTER_MS,
});
const prefix = env.QUEUE_PREFIX ?? "bull";
const record = runningRecord(heartbeat, prefix, workerId);
const parked = parkedJobs(heartbeat, prefix);
/** What a worker of this host killed mid-operation was running (read before this one takes a job; taken over once the TSC is up). */
const orphans = await Promise.race([
  orphanedOperations(heartbeat, prefix, hostname(), process.pid),
  new Promise<string[]>((r) => setTimeout(() => r([]), 2_000)),
]).catch((e: Error) => (log("warn", "could not look for operations of dead workers", { error: e.message }), []));

const worker = startOperationsWorker({
  deps,
  connection,
  prefix: env.QUEUE_PREFIX,
  concurrency: env.WORKER_CONCURRENCY,
  run: runOnce,
  slots: orgSlots(heartbeat, prefix, { limit: env.ORG_MAX_RUNNING, leaseMs: 60_000 }),
  parked,
  record,
  log,
});
/** An agent's answer to a parked operation's command runs its job at once (any worker's), not at its next look. */
const operationsQueue = new Queue(QUEUES.operations, {
  connection: heartbeat,
  ...(env.QUEUE_PREFIX ? { prefix } : {}),
});
operationsQueue.on("error", () => undefined);
const wakes = startWakes({ databaseUrl: env.DATABASE_URL, queue: operationsQueue, parked, log });
/**
 * A job's last attempt failed: its operation ends `failed` with the reason (never `running` for
 * ever). If Postgres is what failed, the mark is tried again every second until it lands (a no-op while none waits).
 */
const abandoned = new Map<string, string>();
let marking = false;
const markAbandoned = async () => {
  if (marking) return;
  marking = true;
  for (const [operationId, reason] of abandoned) {
    await failAbandonedOperation(deps, operationId, reason).then(
      () => abandoned.delete(operationId),
      () => undefined,
    );
  }
  marking = false;
};
worker.on("failed", (job, error) => {
  log("error", "job failed", { job: job?.id, name: job?.name, error: error.message });
  const operationId = (job?.data as { operationId?: unknown } | undefined)?.operationId;
  if (!job || typeof operationId !== "string" || job.attemptsMade < (job.opts.attempts ?? 1)) return;
  abandoned.set(operationId, `its job failed ${job.attemptsMade} times, last: ${error.message}`);
  void markAbandoned();
});
const abandonTimer = setInterval(() => void markAbandoned(), 1_000);
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

/** The gateways' link verdicts reach the TSC as the heartbeat that changed one commits. */
const tunnels = new TunnelFeed(deps, fabric.mapping, log);
const linkChanges = embedded ? startTunnelFeed({ databaseUrl: env.DATABASE_URL, feed: tunnels, log }) : undefined;

/** Hosts' facts and instances change under us (heartbeats, other workers): re-read every few seconds. */
const refresher = setInterval(
  () =>
    void fabric
      .refresh()
      .then(() => embedded && tunnels.update())
      .catch((e: Error) => log("warn", "fabric refresh failed", { error: e.message })),
  5_000,
);
/** Every VEB's pair flows are read back and judged against policy twice a minute (drift is repaired and reported). */
const verifier = setInterval(
  () => void fabric.verifyAll().catch((e: Error) => log("warn", "policy verification failed", { error: e.message })),
  30_000,
);
/**
 * The outbox relay: an operation committed but not yet in Redis (Redis was down, or the console died
 * between its commit and its enqueue) is sent within a second of Redis answering. One pass at a time.
 */
let relaying = false;
const relay = setInterval(() => {
  if (relaying) return;
  relaying = true;
  void relayOperations(deps, queue)
    .then((n) => n && log("info", "relayed operations to the queue", { count: n }))
    .catch((e: Error) => log("warn", "outbox relay failed", { error: e.message }))
    .finally(() => (relaying = false));
}, env.RELAY_INTERVAL_MS);
/**
 * The fallback for a job Redis lost after taking it (a restart without persistence): handed back to
 * the relay; and the deadline: an operation running past `OPERATION_DEADLINE_MS` is failed with the reason.
 */
const sweeper = setInterval(() => {
  if (env.SWEEP_QUEUED_AFTER_MS !== 0)
    void requeueStaleOperations(deps, env.SWEEP_QUEUED_AFTER_MS)
      .then((n) => n && log("warn", "re-sending queued operations Redis seems to have lost", { count: n }))
      .catch((e: Error) => log("warn", "sweeper failed", { error: e.message }));
  void failOverdueOperations(deps, env.OPERATION_DEADLINE_MS)
    .then((ids) => ids.length && log("warn", "operations past their deadline failed", { operationIds: ids }))
    .catch((e: Error) => log("warn", "deadline sweep failed", { error: e.message }));
}, 15_000);

/** Other processes (the console's status) see live workers by this key's TTL. */
const beat = () => heartbeat.set(`nvi:worker:${workerId}`, new Date().toISOString(), "EX", 15).catch(() => undefined);
await beat();
const timer = setInterval(() => void beat(), 5_000);
/** The dead worker's operations: taken over now, not after their jobs' locks expire (the jobs then share the run). */
void deps.db.operation
  .findMany({ where: { id: { in: orphans }, status: "running" } })
  .then(async (ops) => {
    for (const op of ops) {
      if (!isOperationKind(op.kind)) continue;
      log("info", "taking over an operation of a worker that died", { operationId: op.id });
      await record.add(op.id);
      void runOnce(op.kind, op.id)
        .catch((e: Error) =>
          e instanceof OperationParked
            ? log("info", "operation taken over is waiting; its job resumes it", { operationId: op.id })
            : log("warn", "operation taken over failed", { operationId: op.id, error: e.message }),
        )
        .finally(() => void record.remove(op.id));
    }
  })
  .catch((e: Error) => log("warn", "could not take over the operations of dead workers", { error: e.message }));
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
  clearInterval(relay);
  clearInterval(abandonTimer);
  await worker.close();
  await wakes.close();
  await operationsQueue.close();
  await policyChanges?.close();
  await linkChanges?.close();
  await producer.close();
  await embedded?.close();
  await heartbeat.del(`nvi:worker:${workerId}`).catch(() => undefined);
  heartbeat.disconnect();
  connection.disconnect();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
