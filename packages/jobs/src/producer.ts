import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import type { z } from "zod";
import { jobKey, type JobDefinition, type QueueName } from "./definitions.ts";

export interface EnqueueOptions {
  /** Same key → same job: a retried request never enqueues twice (an operation id, usually). */
  idempotencyKey: string;
}

/** The producer side the console and core use. Holds one Redis connection per process. */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly connection: Redis;

  /** `prefix` namespaces the Redis keys (BullMQ's default is "bull"); tests use their own. */
  constructor(
    redisUrl: string,
    private readonly prefix?: string,
  ) {
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
  }

  private queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, ...(this.prefix ? { prefix: this.prefix } : {}) });
      this.queues.set(name, q);
    }
    return q;
  }

  async enqueue<S extends z.ZodType>(
    def: JobDefinition<S>,
    payload: z.input<S>,
    options: EnqueueOptions,
  ): Promise<string> {
    const data = def.schema.parse(payload);
    const jobOptions: JobsOptions = {
      jobId: `${jobKey(def)}:${options.idempotencyKey}`.replaceAll(":", "_"),
      attempts: 5,
      backoff: { type: "exponential", delay: 1000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
    const job = await this.queue(def.queue).add(jobKey(def), data, jobOptions);
    return job.id ?? jobOptions.jobId!;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
