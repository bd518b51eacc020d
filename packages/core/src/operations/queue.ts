import { JobProducer, OPERATION_JOBS, type OperationKind } from "@nvi/jobs";

/** Where operations go to be executed (the worker's queue); the job's idempotency key is the operation id. */
export interface OperationQueue {
  /** `round` > 0 for a retry: a new job for the same operation (the first one finished). */
  enqueue(kind: OperationKind, operationId: string, round?: number): Promise<void>;
}
export type { OperationKind };

/** A queue with its own Redis connection (`prefix`: BullMQ key prefix, tests use their own); close it when done. */
export function redisOperationQueue(redisUrl: string, prefix?: string): OperationQueue & { close(): Promise<void> } {
  const producer = new JobProducer(redisUrl, prefix);
  return { ...jobQueue(producer), close: () => producer.close() };
}

/** The queue over BullMQ: one job per operation (job id = operation id, so a second enqueue is a no-op). */
export function jobQueue(producer: JobProducer): OperationQueue {
  return {
    async enqueue(kind, operationId, round = 0) {
      await producer.enqueue(
        OPERATION_JOBS[kind],
        { operationId },
        { idempotencyKey: round ? `${operationId}-r${round}` : operationId },
      );
    },
  };
}
