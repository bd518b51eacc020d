/**
 * The worker's faults for bench/faults: the real worker process (apps/worker, without its TSC) on
 * the bench's Postgres and private Redis, killed with SIGKILL mid-operation (alone, or with Redis),
 * while a scripted agent answers through the real command channel once the fault is over. Recovery
 * is counted from the moment the fault ends (the worker started again and, if killed, Redis back)
 * to the operation's `succeeded`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scriptedAgent } from "../../packages/core/src/test-support/agent.ts";
import type { Ctx } from "../../packages/core/src/index.ts";
import type { PrivateRedis } from "../../packages/core/src/test-support/faults.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkerBench {
  ctx: Ctx;
  host: Parameters<typeof scriptedAgent>[1];
  databaseUrl: string;
  redis: PrivateRedis;
  prefix: string;
  /** a launch over REST; its operation id */
  launch(): Promise<string>;
  say(m: string): void;
  /** the old worker's view: no record of what the dead worker ran (so BullMQ's lock and stalled check decide) */
  forgetRecords(): Promise<void>;
}

function startWorker(b: WorkerBench): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "apps/worker/src/main.ts")], {
    cwd: path.join(ROOT, "apps/worker"),
    env: {
      ...process.env,
      DATABASE_URL: b.databaseUrl,
      REDIS_URL: b.redis.url,
      QUEUE_PREFIX: b.prefix,
      TSC_EMBEDDED: "0",
      SWEEP_QUEUED_AFTER_MS: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  return (async () => {
    const end = Date.now() + 60_000;
    while (!log.includes("worker started")) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`worker did not start: ${log.slice(-1500)}`);
      await sleep(50);
    }
    return child;
  })();
}

const kill = async (c: ChildProcess) => {
  if (c.exitCode !== null) return;
  const gone = new Promise((r) => c.once("exit", r));
  c.kill("SIGKILL");
  await gone;
};

/** Each run: a launch running (the agent silent), the fault, then the agent answers; seconds from the fault's end to `succeeded`. */
export async function workerFaults(
  b: WorkerBench,
  runs: number,
  o: { withRedis: boolean; takeover: boolean },
): Promise<number[]> {
  const { withRedis } = o;
  const agent = scriptedAgent(b.ctx, b.host);
  let answering = false;
  let serving = true;
  const loop = (async () => {
    while (serving) {
      if (answering) await agent.serve().catch(() => undefined);
      await sleep(100);
    }
  })();
  const status = async (id: string) =>
    (await b.ctx.db.operation.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
  let worker = await startWorker(b);
  const recovery: number[] = [];
  for (let i = 0; i < runs; i++) {
    answering = false;
    const operationId = await b.launch();
    while ((await status(operationId)) !== "running") await sleep(50);
    await kill(worker);
    if (withRedis) await b.redis.kill();
    b.say(`worker${withRedis ? " and Redis" : ""} killed (run ${i})`);
    if (withRedis) await b.redis.start();
    if (!o.takeover) await b.forgetRecords();
    worker = await startWorker(b);
    const back = performance.now();
    answering = true;
    let s = await status(operationId);
    while (s !== "succeeded" && s !== "failed") {
      await sleep(50);
      s = await status(operationId);
    }
    if (s !== "succeeded") throw new Error(`the launch ${operationId} ended ${s}`);
    recovery.push(performance.now() - back);
    b.say(`recovered in ${Math.round(recovery[i]!)} ms`);
  }
  serving = false;
  await loop;
  await kill(worker);
  return recovery;
}
