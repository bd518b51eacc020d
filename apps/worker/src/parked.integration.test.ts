import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { parkedJobs, wakeParked } from "./parked.ts";

/**
 * A parked operation's job is run at once when what it waited for comes (real Redis and BullMQ,
 * a queue of its own that nothing consumes): only a job that is parked (delayed) is promoted.
 */
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 2 });
const prefix = `nvitest-parked-${Date.now().toString(36)}`;
const queue = new Queue("wake-test", { connection: redis, prefix });
afterAll(async () => {
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  redis.disconnect();
});

describe("waking a parked operation", () => {
  it("promotes its delayed job once; a job not parked, or an operation not known, is left alone", async () => {
    const parked = parkedJobs(redis, prefix);
    await queue.add("instance.launch", { operationId: "op_1" }, { jobId: "job-1", delay: 60_000 });
    await parked.add("op_1", "job-1");
    expect(await (await queue.getJob("job-1"))?.getState()).toBe("delayed");
    expect(await wakeParked(queue, parked, "op_1")).toBe(true);
    expect(await (await queue.getJob("job-1"))?.getState()).toBe("waiting");
    expect(await wakeParked(queue, parked, "op_1")).toBe(false); // no longer parked: nothing to do
    expect(await wakeParked(queue, parked, "op_unknown")).toBe(false);
    await parked.remove("op_1"); // it runs again: a wake finds nothing
    expect(await parked.jobOf("op_1")).toBeNull();
  });
});
