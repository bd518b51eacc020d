import { hostname } from "node:os";
import { startTsc, type Tsc } from "@nvi/controller";
import { QUEUES, parseJob } from "@nvi/jobs";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { workerEnv } from "./env.ts";
import { log } from "./log.ts";

/**
 * The worker: BullMQ consumers for every host-touching job and the embedded Tenant
 * SDN Controller (OpenFlow listener). Today it runs the operations queue with the job
 * definitions that exist (system.echo), the TSC with its base pipeline, and
 * announces itself in Redis.
 */
const env = workerEnv();
const workerId = `${hostname()}:${process.pid}`;
const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const heartbeat = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });

const worker = new Worker(
  QUEUES.operations,
  (job) => {
    const { def, payload } = parseJob(job.name, job.data);
    log("info", "job done", { job: job.id, name: def.name, version: def.version });
    return Promise.resolve(payload);
  },
  { connection, concurrency: env.WORKER_CONCURRENCY },
);
worker.on("failed", (job, error) => log("error", "job failed", { job: job?.id, name: job?.name, error: error.message }));
worker.on("error", (error) => log("error", "worker error", { error: error.message }));

const tsc: Tsc | null =
  env.TSC_EMBEDDED === "1"
    ? await startTsc({
        port: env.TSC_OPENFLOW_PORT,
        host: env.TSC_BIND_ADDRESS,
        logger: { info: (msg, fields) => log("info", `tsc: ${msg}`, fields), warn: (msg, fields) => log("warn", `tsc: ${msg}`, fields) },
      })
    : null;
if (tsc) log("info", "tsc listening", { ...tsc.address });

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
  await worker.close();
  await tsc?.close();
  await heartbeat.del(`nvi:worker:${workerId}`).catch(() => undefined);
  heartbeat.disconnect();
  connection.disconnect();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
