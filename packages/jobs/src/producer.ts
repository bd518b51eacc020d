import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import type { z } from "zod";
import { jobKey, type JobDefinition, type QueueName } from "./definitions.ts";

export interface EnqueueOptions {
  /** Same key → same job: a retried request never enqueues twice (an operation id, usually). */
  idempotencyKey: string;
}

/** The BullMQ job id of a definition's job for one idempotency key. */
export function jobIdOf(def: JobDefinition, idempotencyKey: string): string {
  return `${jobKey(def)}:${idempotencyKey}`.replaceAll(":", "_");
}

/** The producer side the console and core use. Holds one Redis connection per process. */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();
  private connection: Redis;

  /** `prefix` namespaces the Redis keys (BullMQ's default is "bull"); tests use their own. */
  constructor(
    private readonly redisUrl: string,
    private readonly prefix?: string,
  ) {
    this.connection = this.connect();
  }

  private connect(): Redis {
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
    // an outage surfaces as the failed enqueue (the caller decides); not as an unhandled error event
    connection.on("error", () => undefined);
    return connection;
  }

  /**
   * A connection Redis dropped while BullMQ was still setting it up can stay closed for good
   * ("Connection is closed"): after any failed call the next one starts on a fresh connection, or a
   * producer whose Redis died at the wrong moment would never enqueue again.
   */
  private closed = false;

  private renewIfClosed(): void {
    if (!this.closed && this.connection.status !== "end") return;
    this.closed = false;
    const old = [...this.queues.values()];
    this.queues.clear();
    for (const q of old) void q.close().catch(() => undefined);
    this.connection.disconnect();
    this.connection = this.connect();
  }

  private queue(name: QueueName): Queue {
    this.renewIfClosed();
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, ...(this.prefix ? { prefix: this.prefix } : {}) });
      q.on("error", () => undefined);
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
      jobId: jobIdOf(def, options.idempotencyKey),
      attempts: 5,
      backoff: { type: "exponential", delay: 1000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
    const job = await this.queue(def.queue)
      .add(jobKey(def), data, jobOptions)
      .catch((error: unknown) => {
        this.closed = true; // whatever went wrong, the next call starts on a fresh connection
        throw error;
      });
    return job.id ?? jobOptions.jobId!;
  }

  /** Whether the job for this key is in Redis, in any state (what the outbox's tests look for). */
  async has(def: JobDefinition, idempotencyKey: string): Promise<boolean> {
    const job = await this.queue(def.queue)
      .getJob(jobIdOf(def, idempotencyKey))
      .catch((error: unknown) => {
        this.closed = true; // whatever went wrong, the next call starts on a fresh connection
        throw error;
      });
    return job !== undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
