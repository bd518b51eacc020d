/**
 * Fault → recovery, p50 over RUNS runs, against the real Postgres (through a proxy this bench cuts,
 * as a restart looks to a client) and a private redis-server it kills (never the shared ones).
 * `DATABASE_URL` must point at a migrated database. Prints one table (Markdown).
 *
 *   DATABASE_URL=… node --import tsx bench/faults/run.ts
 */
import { ALL_SCOPES } from "../../packages/contracts/src/index.ts";
import { createApiContext, handleRest, cachedProbe, dependencyHealth } from "../../packages/api/src/index.ts";
import {
  createApiToken,
  createCoreDeps,
  createSubnet,
  createVpc,
  redisOperationQueue,
  relayOperations,
  type CoreDeps,
} from "../../packages/core/src/index.ts";
import { tenantWithHost } from "../../packages/core/src/test-support/kit.ts";
import { cutProxy, privateRedis, viaPort } from "../../packages/core/src/test-support/faults.ts";
import { JobProducer, OPERATION_JOBS } from "../../packages/jobs/src/index.ts";
import { Redis } from "../../packages/core/node_modules/ioredis/built/index.js";
import { workerFaults } from "./worker-faults.ts";

const RUNS = Number(process.env.RUNS ?? 5);
const dbUrl = process.env.DATABASE_URL;
if (!dbUrl) throw new Error("set DATABASE_URL to a migrated database");
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tenant = await tenantWithHost("bench-faults");
const vpc = await createVpc(tenant.ctx, { name: "v", cidr: "10.95.0.0/16", allowOverlap: true });
const subnetId = (
  await createSubnet(tenant.ctx, { vpcId: vpc.id, cloudId: tenant.cloudId, name: "s", cidr: "10.95.0.0/20" })
).id;
const token = (await createApiToken(tenant.ctx, { name: "bench", scopes: [...ALL_SCOPES], expiresInDays: 1 })).secret;
const pg = await cutProxy({ host: "127.0.0.1", port: Number(new URL(dbUrl).port || 5432) });
const deps: CoreDeps = createCoreDeps(viaPort(dbUrl, pg.port));
const redis = await privateRedis();
const prefix = `nvibench-${Date.now().toString(36)}`;
const queue = redisOperationQueue(redis.url, prefix);
const jobs = new JobProducer(redis.url, prefix);
const call = (method: string, path: string, body?: unknown) =>
  handleRest(
    new Request(`http://localhost/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
    (req) =>
      createApiContext({
        deps,
        headers: req.headers,
        sourceIp: "127.0.0.1",
        publicUrl: "http://console.test",
        getSessionUser: () => Promise.resolve(null),
        operations: queue,
      }),
  );
await tenant.ctx.db.host.update({
  where: { id: tenant.hostId },
  data: { lastSeenAt: new Date(Date.now() + 3600_000) },
});

/** The worker's relay, every second, as the worker runs it. */
let relaying = true;
const relay = (async () => {
  while (relaying) {
    await relayOperations(deps, queue).catch(() => 0);
    await sleep(1_000);
  }
})();

const rows: string[][] = [];
const say = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
say(`${RUNS} runs per fault`);
let n = 0;

// 1. Redis down while a launch arrives; Redis back after 3 s
{
  const answers: string[] = [];
  const answerMs: number[] = [];
  const recovery: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await redis.kill();
    say(`case 1 run ${i}: Redis killed`);
    const t0 = performance.now();
    const res = await call("POST", "/instances", { name: `b-${n++}`, subnetId, memoryMiB: 64 });
    say(`case 1 run ${i}: answered ${res.status}`);
    answerMs.push(performance.now() - t0);
    answers.push(String(res.status));
    const { operationId } = (await res.json()) as { operationId: string };
    await sleep(3_000 - (performance.now() - t0));
    await redis.start();
    say(`case 1 run ${i}: Redis back`);
    const back = performance.now();
    while (!(await jobs.has(OPERATION_JOBS["instance.launch"], operationId).catch(() => false))) await sleep(20);
    recovery.push(performance.now() - back);
    say(`case 1 run ${i}: queued`);
  }
  rows.push([
    "Redis down 3 s, a launch arrives",
    "500 after 6.7 s (issue 18), applied anyway",
    `${[...new Set(answers)].join("/")} in ${Math.round(p50(answerMs))} ms with the operation`,
    "sweeper: 60–75 s after the commit",
    `${(p50(recovery) / 1000).toFixed(2)} s after Redis is back (relay)`,
  ]);
}

// 2. Postgres restart (cut 3 s) while requests arrive
{
  const answers: string[] = [];
  const recovery: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await pg.cut();
    const res = await call("GET", "/vpcs");
    answers.push(`${res.status} Retry-After ${res.headers.get("retry-after")}`);
    await sleep(3_000);
    await pg.restore();
    const back = performance.now();
    while ((await call("GET", "/vpcs")).status !== 200) await sleep(20);
    recovery.push(performance.now() - back);
  }
  rows.push([
    "Postgres restart (3 s)",
    "500",
    `${[...new Set(answers)].join("/")} (DATABASE_UNAVAILABLE)`,
    "first request after the restart",
    `${(p50(recovery) / 1000).toFixed(2)} s after Postgres is back`,
  ]);
}

// 3. The console died between commit and enqueue; the client retries with the same key
{
  const recovery: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await redis.kill();
    const key = `bench-key-${Date.now()}-${i}`;
    const first = (await (
      await call("POST", "/instances", { name: `b-${n++}`, subnetId, memoryMiB: 64, idempotencyKey: key })
    ).json()) as { operationId: string };
    relaying = false; // no relay: the retried request must queue it itself
    await redis.start();
    const t0 = performance.now();
    await call("POST", "/instances", { name: `b-${n - 1}`, subnetId, memoryMiB: 64, idempotencyKey: key });
    while (!(await jobs.has(OPERATION_JOBS["instance.launch"], first.operationId).catch(() => false))) await sleep(20);
    recovery.push(performance.now() - t0);
  }
  rows.push([
    "console dies after commit, client retries (same key)",
    "200, not queued",
    "202, queued by the retry",
    "sweeper: 60–75 s",
    `${(p50(recovery) / 1000).toFixed(2)} s after the retry`,
  ]);
}

// 4. /api/health while Redis is down
{
  const dead = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  dead.on("error", () => undefined);
  const probes = { postgres: cachedProbe(() => deps.db.$queryRaw`SELECT 1`), redis: cachedProbe(() => dead.ping()) };
  await dependencyHealth(probes, 1_000);
  await redis.kill();
  const ms: number[] = [];
  let state = "";
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    state = (await dependencyHealth(probes)).dependencies.redis?.state ?? "";
    ms.push(performance.now() - t0);
    await sleep(150);
  }
  dead.disconnect();
  await redis.start();
  rows.push([
    "/api/health while Redis is down",
    "no answer within 3 s for ≈6.5 s (issue 18)",
    `p50 ${p50(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms, redis: ${state}`,
    "—",
    "—",
  ]);
}

relaying = false;
await relay;

// 5, 6. The worker killed with SIGKILL mid-operation, alone and together with Redis
{
  const bench = {
    ctx: tenant.ctx,
    host: tenant.host,
    databaseUrl: dbUrl,
    redis,
    prefix,
    say,
    forgetRecords: async () => {
      const r = new Redis(redis.url, { maxRetriesPerRequest: 2 });
      const keys = await r.keys(`nvi:${prefix}:worker-ops:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    },
    launch: async () => {
      await tenant.ctx.db.host.update({ where: { id: tenant.hostId }, data: { lastSeenAt: new Date() } });
      const res = await call("POST", "/instances", { name: `b-${n++}`, subnetId, memoryMiB: 64 });
      return ((await res.json()) as { operationId: string }).operationId;
    },
  };
  // the launches of the cases above are not this section's: done with, so the worker skips their jobs
  await tenant.ctx.db.operation.updateMany({
    where: { orgId: tenant.ctx.actor.orgId, status: { in: ["queued", "running"] } },
    data: { status: "failed", error: "bench: an earlier case's" },
  });
  relaying = true;
  const relayW = (async () => {
    while (relaying) {
      await relayOperations(deps, queue).catch(() => 0);
      await sleep(1_000);
    }
  })();
  const s = (xs: number[]) => `${(p50(xs) / 1000).toFixed(2)} s (max ${(Math.max(...xs) / 1000).toFixed(2)} s)`;
  for (const withRedis of [false, true]) {
    const before = await workerFaults(bench, RUNS, { withRedis, takeover: false });
    const now = await workerFaults(bench, RUNS, { withRedis, takeover: true });
    rows.push([
      withRedis ? "worker and Redis killed together mid-launch" : "worker killed (SIGKILL) mid-launch",
      "the operation, completed exactly once",
      "the operation, completed exactly once",
      `${s(before)} after the worker is back (its job's lock, then the stalled check)`,
      `${s(now)} after the worker is back (taken over at start)`,
    ]);
  }
  relaying = false;
  await relayW;
}
console.log(`| fault | answer before | answer now | recovery before | recovery now (p50 of ${RUNS}) |`);
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
await Promise.race([queue.close(), sleep(1_000)]);
await Promise.race([jobs.close(), sleep(1_000)]);
await redis.close();
await deps.db.$disconnect();
await tenant.ctx.db.$disconnect();
await pg.close();
process.exit(0);
