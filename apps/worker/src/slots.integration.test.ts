import { createSubnet, createVpc, launchInstance, pullCommands, redisOperationQueue, type Ctx } from "@nvi/core";
import { tenantWithHost, testDeps, type EnrolledHost } from "@nvi/core/test-support";
import { recordingPlane, scriptedAgent } from "@nvi/core/test-support/agent";
import { QUEUES } from "@nvi/jobs";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { orgSlots } from "./fair-share.ts";
import { startOperationsWorker } from "./operations-worker.ts";
import { parkedJobs, startWakes } from "./parked.ts";
import { operationRunner } from "./policy-fast-path.ts";

/**
 * A tenant whose agent heartbeats but never answers must not hold the worker's slots: the real
 * BullMQ worker (2 slots, its own queue prefix, so it takes no other suite's jobs; wakes on) runs tenant A's
 * four launches to a host that fetches its commands and never answers, and tenant B's launch to a
 * host whose agent answers. B's launch succeeds while A's are all still waiting (a wait gives its
 * slot back and resumes later); A's fail at their deadline, measured from when they began to wait,
 * with the honest reason. Before, A's first two launches held both slots for the whole timeout and
 * B's launch ran only after A's had failed.
 */
const deps = testDeps();
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `nvitest-slots-${Date.now().toString(36)}`;
const TIMEOUT_MS = 15_000; // room for B's launch on a loaded machine
const queue = redisOperationQueue(redisUrl, prefix);
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const slotsRedis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
const parked = parkedJobs(slotsRedis, prefix);
const worker = startOperationsWorker({
  deps,
  connection,
  prefix,
  concurrency: 2,
  run: operationRunner(deps, recordingPlane().plane, { commandTimeoutMs: TIMEOUT_MS, parkAfterMs: 300 }),
  slots: orgSlots(slotsRedis, prefix, { limit: 4, leaseMs: 60_000 }),
  parked,
  log: () => undefined,
});
const wakeQueue = new Queue(QUEUES.operations, { connection: slotsRedis, prefix });
const wakes = startWakes({
  databaseUrl: process.env.DATABASE_URL ?? "",
  queue: wakeQueue,
  parked,
  log: () => undefined,
});
const loops: (() => void)[] = [];

beforeAll(async () => {
  await worker.waitUntilReady();
});
afterAll(async () => {
  loops.forEach((stop) => stop());
  await worker.close();
  await wakes.close();
  await wakeQueue.close();
  await queue.close();
  connection.disconnect();
  slotsRedis.disconnect();
  await deps.db.$disconnect();
});

/** Runs `step` every `ms` until the suite ends. */
function every(ms: number, step: () => Promise<unknown>) {
  let on = true;
  loops.push(() => (on = false));
  void (async () => {
    while (on) {
      await step().catch(() => undefined);
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
}

async function subnetOf(ctx: Ctx, t: EnrolledHost, tag: string) {
  const vpc = await createVpc(ctx, { name: `v-${tag}`, cidr: "10.70.0.0/16", allowOverlap: true });
  return createSubnet(ctx, { vpcId: vpc.id, cloudId: t.cloudId, name: `s-${tag}`, cidr: "10.70.1.0/24" });
}

const launch = (ctx: Ctx, t: EnrolledHost, subnetId: string, name: string) =>
  launchInstance(ctx, queue, { name, subnetId, hostId: t.hostId, runtime: "netns", cpus: 1, memoryMiB: 64 });

const operations = (ids: string[]) => deps.db.operation.findMany({ where: { id: { in: ids } } });

describe("worker slots (real Postgres, Redis and BullMQ worker)", () => {
  it("a tenant whose agent never answers holds no slot: another tenant's launch finishes first, its own fail at their deadline", async () => {
    const a = await tenantWithHost("slots-a", { hostname: "h-hostile", deps });
    const b = await tenantWithHost("slots-b", { hostname: "h-good", deps });
    const [snA, snB] = [await subnetOf(a.ctx, a, "a"), await subnetOf(b.ctx, b, "b")];
    // A's agent heartbeats and fetches its commands, and never answers one
    every(200, async () => {
      await deps.db.host.update({ where: { id: a.hostId }, data: { lastSeenAt: new Date() } });
      await pullCommands(deps, a.host, []);
    });
    const hostile: string[] = [];
    for (let i = 0; i < 4; i++) hostile.push((await launch(a.ctx, a, snA.id, `a${i}`)).operationId);
    // A's launches hold (or, before, held) both slots
    await vi.waitFor(
      async () =>
        expect((await operations(hostile)).filter((op) => op.status === "running").length).toBeGreaterThanOrEqual(2),
      { timeout: 10_000, interval: 50 },
    );

    const agentB = scriptedAgent(b.ctx, b.host);
    every(50, () => agentB.serve());
    const good = (await launch(b.ctx, b, snB.id, "b0")).operationId;
    await vi.waitFor(
      async () => expect((await deps.db.operation.findUniqueOrThrow({ where: { id: good } })).status).toBe("succeeded"),
      { timeout: 4 * TIMEOUT_MS, interval: 50 },
    );
    const meanwhile = await operations(hostile);
    // none of A's launches had reached its deadline when B's finished: B never queued behind them
    expect(meanwhile.map((op) => op.status)).toEqual(["running", "running", "running", "running"]);
    // and the console says what they wait for
    expect(meanwhile.some((op) => JSON.stringify(op.steps).includes("waiting for host h-hostile's agent"))).toBe(true);

    await vi.waitFor(async () => expect((await operations(hostile)).every((op) => op.status === "failed")).toBe(true), {
      timeout: 6 * TIMEOUT_MS,
      interval: 200,
    });
    for (const op of await operations(hostile)) {
      expect(op.error).toBe(`the host's agent did not answer within ${TIMEOUT_MS / 1000} s (fetched, no result yet)`);
      // one attempt, however often it gave its slot back; it waited its whole deadline, counted from its start
      expect(op.attempts).toBe(1);
      expect(op.finishedAt!.getTime() - op.startedAt!.getTime()).toBeGreaterThanOrEqual(TIMEOUT_MS);
      const inst = await deps.db.instance.findUniqueOrThrow({ where: { id: op.targetId } });
      expect(inst).toMatchObject({ status: "failed", statusReason: op.error });
    }
  }, 120_000);
});
