import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { parseJob } from "./consumer.ts";
import { QUEUES, echoJob } from "./definitions.ts";
import { JobProducer } from "./producer.ts";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("job producer and consumer against real Redis", () => {
  const prefix = `nvi-test-${process.pid}-${Date.now()}`;
  const producer = new JobProducer(redisUrl, prefix);
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  afterAll(async () => {
    await producer.close();
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length) await connection.del(...keys);
    connection.disconnect();
  });

  it("runs a job once per idempotency key and refuses bad payloads before enqueueing", async () => {
    const seen: string[] = [];
    const key = `test-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const done = new Promise<void>((resolve) => {
      const worker = new Worker(
        QUEUES.operations,
        (job) => {
          const { payload } = parseJob(job.name, job.data);
          seen.push((payload as { text: string }).text);
          if (seen.includes(`hello ${key}`)) {
            setTimeout(() => void worker.close().then(resolve), 300);
          }
          return Promise.resolve(payload);
        },
        { connection, prefix },
      );
    });
    const first = await producer.enqueue(echoJob, { text: `hello ${key}` }, { idempotencyKey: key });
    const again = await producer.enqueue(echoJob, { text: `hello ${key}` }, { idempotencyKey: key });
    expect(again).toBe(first);
    await expect(producer.enqueue(echoJob, { text: 42 } as never, { idempotencyKey: `${key}-bad` })).rejects.toThrow();
    await done;
    expect(seen.filter((t) => t === `hello ${key}`)).toHaveLength(1);
  });
});
