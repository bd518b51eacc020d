import { privateRedis, type PrivateRedis } from "@nvi/core/test-support/faults";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orphanedOperations, runningRecord } from "./takeover.ts";

/**
 * Issue 18: a worker killed mid-operation held its job's lock for up to 15 s; the restarted worker
 * now takes over at once what a dead worker of its host was running. Against a private redis-server.
 */
let redis: PrivateRedis;
let client: Redis;

beforeAll(async () => {
  redis = await privateRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  client.disconnect();
  await redis.close();
});

describe("operations of a dead worker", () => {
  it("are those a worker of this host whose process is gone was running, once; live workers, other hosts and other queues keep theirs", async () => {
    const dead = runningRecord(client, "q1", "h1:111");
    await dead.add("op_a");
    await dead.add("op_b");
    await dead.remove("op_b"); // finished before it died
    await runningRecord(client, "q1", "h1:222").add("op_live");
    await runningRecord(client, "q1", "h2:111").add("op_elsewhere");
    await runningRecord(client, "q2", "h1:111").add("op_other_queue");
    // a predecessor with the pid this worker now has (a restarted container): its record is a dead worker's too
    await runningRecord(client, "q1", "h1:333").add("op_same_pid");
    const isAlive = (pid: number) => pid === 222 || pid === 333;
    expect((await orphanedOperations(client, "q1", "h1", 333, isAlive)).sort()).toEqual(["op_a", "op_same_pid"]);
    expect(await orphanedOperations(client, "q1", "h1", 333, isAlive)).toEqual([]); // taken over once
    expect(await orphanedOperations(client, "q2", "h1", 444, isAlive)).toEqual(["op_other_queue"]);
    expect(await client.smembers("nvi:q1:worker-ops:h1:222")).toEqual(["op_live"]);
    expect(await client.smembers("nvi:q1:worker-ops:h2:111")).toEqual(["op_elsewhere"]);
  });
});
