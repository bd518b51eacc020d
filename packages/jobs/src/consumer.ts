import type { z } from "zod";
import { JOBS, jobKey, type JobDefinition } from "./definitions.ts";

export type JobHandler<S extends z.ZodType> = (payload: z.output<S>) => Promise<unknown>;

export class UnknownJobError extends Error {
  constructor(name: string) {
    super(`no job definition named ${name}`);
  }
}

/** Finds the definition for a BullMQ job name and parses its payload with it. */
export function parseJob(name: string, data: unknown): { def: JobDefinition; payload: unknown } {
  const def = JOBS.find((d) => jobKey(d) === name);
  if (!def) throw new UnknownJobError(name);
  return { def, payload: def.schema.parse(data) };
}
