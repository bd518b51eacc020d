import { idRef } from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { DomainError, ERROR_KINDS } from "../errors.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { terminateInstance } from "./instances.ts";
import { startInstance, stopInstance } from "./lifecycle.ts";

export const BulkInstanceInput = z.object({
  action: z.enum(["stop", "start", "terminate"]),
  instanceIds: z
    .array(idRef("instance"))
    .min(1)
    .max(200)
    .refine((ids) => new Set(ids).size === ids.length, "each instance once"),
});
export const BulkInstanceResult = z.object({
  results: z.array(
    z.object({
      instanceId: z.string(),
      name: z.string().nullable(),
      operationId: z.string().nullable(),
      error: z.string().nullable(),
    }),
  ),
});
export type BulkInstanceResult = z.infer<typeof BulkInstanceResult>;

const RUN = { stop: stopInstance, start: startInstance, terminate: terminateInstance } as const;

/**
 * Stop, start or terminate many instances: one operation each, exactly as the single actions
 * (same checks, same audit), so one refusal (a state that does not allow it, an instance that is
 * not the organization's) is reported on its line and does not stop the others.
 */
export async function bulkInstanceAction(
  ctx: Ctx,
  queue: OperationQueue,
  input: z.infer<typeof BulkInstanceInput>,
): Promise<BulkInstanceResult> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const results: BulkInstanceResult["results"] = [];
  // names for the lines of refused instances too (only the organization's own: others are "not found")
  const named = await ctx.db.instance.findMany({
    where: { orgId: ctx.actor.orgId, id: { in: input.instanceIds } },
    select: { id: true, name: true },
  });
  const names = new Map(named.map((r) => [r.id, r.name]));
  for (const instanceId of input.instanceIds) {
    try {
      const r = await RUN[input.action](ctx, queue, { instanceId });
      results.push({ instanceId, name: r.instance.name, operationId: r.operationId, error: null });
    } catch (e) {
      if (!(e instanceof DomainError) || ERROR_KINDS[e.code] === "SERVICE_UNAVAILABLE") throw e;
      results.push({ instanceId, name: names.get(instanceId) ?? null, operationId: null, error: e.message });
    }
  }
  return { results };
}
