import { z } from "zod";

/** Queue names, declared once. Each host-touching change will ride the operations queue. */
export const QUEUES = { operations: "nvi-operations" } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * A job is a name, a version and a payload schema. Producers and the worker both
 * parse payloads with the schema, and a payload change means a new version.
 */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  version: number;
  queue: QueueName;
  schema: S;
}

export function defineJob<S extends z.ZodType>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

export function jobKey(def: JobDefinition): string {
  return `${def.name}@v${def.version}`;
}

/**
 * The worker's liveness probe through the whole pipe (console → Redis → worker):
 * it answers with the text it was given. Used by the console's status check.
 */
export const echoJob = defineJob({
  name: "system.echo",
  version: 1,
  queue: QUEUES.operations,
  schema: z.object({ text: z.string().max(200) }),
});

/** Runs an instance operation (launch or terminate) to its end; the operation row holds everything else. */
const operationPayload = z.object({ operationId: z.string().min(1).max(40) });
export const instanceLaunchJob = defineJob({ name: "instance.launch", version: 1, queue: QUEUES.operations, schema: operationPayload });
export const instanceTerminateJob = defineJob({ name: "instance.terminate", version: 1, queue: QUEUES.operations, schema: operationPayload });

export const JOBS = [echoJob, instanceLaunchJob, instanceTerminateJob] as const;
