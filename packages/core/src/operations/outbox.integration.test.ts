import type { SubnetId } from "@nvi/contracts";
import { JobProducer, OPERATION_JOBS, type OperationKind } from "@nvi/jobs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { launchInstance, terminateInstance } from "../instances/instances.ts";
import { stopInstance } from "../instances/lifecycle.ts";
import { privateRedis, type PrivateRedis } from "../test-support/faults.ts";
import { tenantWithHost } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { relayOperations, requeueStaleOperations } from "./outbox.ts";
import { jobQueue } from "./queue.ts";

/**
 * The outbox against a real Postgres and a private redis-server this suite kills and restarts (never
 * the machine's shared one): a change committed while Redis is down is answered at once and reaches
 * the queue within a relay pass of Redis coming back, exactly once.
 */
let ctx: Ctx;
let subnetId: SubnetId;
let redis: PrivateRedis;
let producer: JobProducer;
let reader: Redis;
let jobs: JobProducer;
const prefix = `nvitest-outbox-${Date.now().toString(36)}`;
const queue = () => jobQueue(producer);

beforeAll(async () => {
  const tenant = await tenantWithHost("outbox");
  ctx = tenant.ctx;
  const vpc = await createVpc(ctx, { name: "v", cidr: "10.91.0.0/16", allowOverlap: true });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId: tenant.cloudId, name: "s", cidr: "10.91.1.0/24" })).id;
  redis = await privateRedis();
  producer = new JobProducer(redis.url, prefix);
  reader = new Redis(redis.url, { maxRetriesPerRequest: null });
  reader.on("error", () => undefined);
  jobs = new JobProducer(redis.url, prefix);
});
beforeEach(() => redis.start()); // the tests run in random order; each begins with Redis up
afterAll(async () => {
  await Promise.race([producer.close(), new Promise((r) => setTimeout(r, 1_000))]);
  await jobs.close();
  reader.disconnect();
  await redis.close();
  await ctx.db.$disconnect();
});

const jobOf = (kind: OperationKind, operationId: string) => jobs.has(OPERATION_JOBS[kind], operationId);
const enqueuedAt = async (id: string) =>
  (await ctx.db.operation.findUniqueOrThrow({ where: { id }, select: { enqueuedAt: true } })).enqueuedAt;

/** Relay passes until the job is in Redis and the operation marked; how long that took. */
async function relayUntilQueued(kind: OperationKind, operationId: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < 10_000) {
    await relayOperations(ctx, queue(), { timeoutMs: 300 });
    // the job alone is not enough: a late answer to the request's own enqueue may have put it there
    if ((await jobOf(kind, operationId)) && (await enqueuedAt(operationId))) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`operation ${operationId} never reached the queue`);
}

describe("the operations outbox", () => {
  it("a launch while Redis is down answers with its operation at once; the relay queues it once Redis is back", async () => {
    await redis.kill();
    const t0 = Date.now();
    const first = await launchInstance(ctx, queue(), { name: "down1", subnetId, idempotencyKey: "outbox-key-1" });
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(await enqueuedAt(first.operationId)).toBeNull();
    // the client retries (it saw no answer, say): the same launch, no second instance
    const again = await launchInstance(ctx, queue(), { name: "down1", subnetId, idempotencyKey: "outbox-key-1" });
    expect(again.operationId).toBe(first.operationId);
    expect(await ctx.db.instance.count({ where: { subnetId, name: "down1" } })).toBe(1);

    await redis.start();
    expect(await relayUntilQueued("instance.launch", first.operationId)).toBeLessThan(3_000);
    expect(await enqueuedAt(first.operationId)).not.toBeNull();
  }, 30_000);

  it("a retry with the same idempotency key sends a committed operation whose job never reached Redis", async () => {
    await redis.kill();
    const first = await launchInstance(ctx, queue(), { name: "down2", subnetId, idempotencyKey: "outbox-key-2" });
    await redis.start();
    // no relay runs here: the retried request itself must send the job
    const again = await launchInstance(ctx, queue(), { name: "down2", subnetId, idempotencyKey: "outbox-key-2" });
    expect(again.operationId).toBe(first.operationId);
    expect(await jobOf("instance.launch", first.operationId)).toBe(true);
    expect(await enqueuedAt(first.operationId)).not.toBeNull();
  }, 30_000);

  it("stop and terminate while Redis is down are answered with their operations, then relayed", async () => {
    const up = await launchInstance(ctx, queue(), { name: "down3", subnetId });
    await ctx.db.instance.update({ where: { id: up.instance.id }, data: { status: "running" } });
    await ctx.db.operation.update({ where: { id: up.operationId }, data: { status: "succeeded" } });
    await redis.kill();
    const stop = await stopInstance(ctx, queue(), { instanceId: up.instance.id });
    await ctx.db.operation.update({ where: { id: stop.operationId }, data: { status: "succeeded" } });
    await ctx.db.instance.update({ where: { id: up.instance.id }, data: { status: "stopped" } });
    const gone = await terminateInstance(ctx, queue(), { instanceId: up.instance.id });
    await redis.start();
    await relayUntilQueued("instance.terminate", gone.operationId);
    expect(await jobOf("instance.stop", stop.operationId)).toBe(false); // it finished before Redis came back
    expect(await enqueuedAt(gone.operationId)).not.toBeNull();
  }, 30_000);

  it("a job Redis lost (restart without persistence) is handed back to the relay by the sweeper", async () => {
    const { operationId } = await launchInstance(ctx, queue(), { name: "lost1", subnetId });
    expect(await jobOf("instance.launch", operationId)).toBe(true);
    await reader.flushall(); // what a Redis restart without AOF leaves
    expect(await requeueStaleOperations(ctx, 0)).toBeGreaterThanOrEqual(1);
    await relayUntilQueued("instance.launch", operationId);
  }, 30_000);

  it("a queued job survives kill -9 of a Redis started with the project's configuration (AOF)", async () => {
    const { operationId } = await launchInstance(ctx, queue(), { name: "aof1", subnetId });
    expect(await jobOf("instance.launch", operationId)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_200)); // appendfsync everysec
    await redis.kill();
    await redis.start();
    expect(await jobOf("instance.launch", operationId)).toBe(true);
    expect(await reader.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
  }, 30_000);
});
