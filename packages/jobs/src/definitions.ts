import { OperationId } from "@nvi/contracts";
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

/** Runs an instance operation (launch, terminate, stop, start, restart) to its end; the operation row holds everything else. */
const operationPayload = z.object({ operationId: OperationId });
export const instanceLaunchJob = defineJob({
  name: "instance.launch",
  version: 1,
  queue: QUEUES.operations,
  schema: operationPayload,
});
export const instanceTerminateJob = defineJob({
  name: "instance.terminate",
  version: 1,
  queue: QUEUES.operations,
  schema: operationPayload,
});
export const instanceStopJob = defineJob({
  name: "instance.stop",
  version: 1,
  queue: QUEUES.operations,
  schema: operationPayload,
});
export const instanceStartJob = defineJob({
  name: "instance.start",
  version: 1,
  queue: QUEUES.operations,
  schema: operationPayload,
});
export const instanceRestartJob = defineJob({
  name: "instance.restart",
  version: 1,
  queue: QUEUES.operations,
  schema: operationPayload,
});
/** Brings every VEB in line with an organization's new policy: revoke what is no longer allowed, lift denials of what now is. */
export const policyApplyJob = defineJob({
  name: "policy.apply",
  version: 1,
  queue: QUEUES.operations,
  schema: operationPayload,
});

/** The operation jobs by operation kind (the operation row's `kind` is the job's name). */
export const OPERATION_JOBS = {
  "instance.launch": instanceLaunchJob,
  "instance.terminate": instanceTerminateJob,
  "instance.stop": instanceStopJob,
  "instance.start": instanceStartJob,
  "instance.restart": instanceRestartJob,
  "policy.apply": policyApplyJob,
} as const;
export type OperationKind = keyof typeof OPERATION_JOBS;

export const JOBS = [echoJob, ...Object.values(OPERATION_JOBS)] as const;
