import { asId, type InstanceDto, type InstanceStatus, type OperationId, type OperationStep } from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { InstanceRef, instanceDto, withHost } from "./instances.ts";
import { createOperation } from "../operations/operations.ts";
import { dispatchIfUnqueued, dispatchOperation } from "../operations/outbox.ts";
import type { OperationQueue } from "../operations/queue.ts";

export type LifecycleKind = "instance.stop" | "instance.start" | "instance.restart";

/**
 * The state machine of stop / start / restart, declared once: from which statuses a verb may be
 * asked, the status the instance shows while its operation is queued, and the operation's steps.
 * A failed instance may be stopped (whatever is left of it on the host stops) or started (the agent
 * re-creates it from its spec); a restart needs a running instance (a stopped one is started).
 */
export const LIFECYCLE: Record<
  LifecycleKind,
  { verb: string; done: string; from: readonly InstanceStatus[]; requested: InstanceStatus; steps: readonly string[] }
> = {
  "instance.stop": {
    verb: "stop",
    done: "stopped",
    from: ["running", "failed"],
    requested: "stopping",
    steps: ["remove from the TSC", "stop on the host"],
  },
  "instance.start": {
    verb: "start",
    done: "started",
    from: ["stopped", "failed"],
    requested: "starting",
    steps: ["start on the host", "program the TSC"],
  },
  "instance.restart": {
    verb: "restart",
    done: "restarted",
    from: ["running"],
    requested: "stopping",
    steps: ["remove from the TSC", "stop on the host", "start on the host", "program the TSC"],
  },
};

/** Why `kind` cannot be asked of an instance in `status` (null: it can). Pure: the unit tests pin the table. */
export function lifecycleRefusal(kind: LifecycleKind, name: string, status: InstanceStatus): string | null {
  const rule = LIFECYCLE[kind];
  if (rule.from.includes(status)) return null;
  if (kind === "instance.stop" && status === "stopped") return `instance ${name} is already stopped`;
  if (kind === "instance.start" && status === "running") return `instance ${name} is already running`;
  const hint = kind === "instance.restart" && status === "stopped" ? ": start it instead" : "";
  return `instance ${name} is ${status}; only ${rule.from.join(" or ")} instances can be ${rule.done}${hint}`;
}

export const LifecycleInput = InstanceRef.extend({
  /** same key → the same operation, never a second one (a retried request) */
  idempotencyKey: z.string().trim().min(8).max(100).optional(),
});

type Requested = { instance: InstanceDto; operationId: OperationId };

/**
 * Asks for a stop, start or restart: under the instance's row lock, an operation of the same kind
 * already queued or running is returned (asking twice is harmless), another operation in flight or
 * a status the verb does not apply to is refused with INSTANCE_STATE; otherwise the instance moves
 * to its transitional status, the operation row and the audit event are written in one
 * transaction, and the job is sent after commit (or by the worker's relay once Redis answers again).
 */
async function requestLifecycle(
  ctx: Ctx,
  queue: OperationQueue,
  kind: LifecycleKind,
  input: z.infer<typeof LifecycleInput>,
): Promise<Requested> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const orgId = ctx.actor.orgId;
  const rule = LIFECYCLE[kind];
  const found = await ctx.db.instance.findFirst({ where: { id: input.instanceId, orgId }, include: withHost });
  if (!found) throw notFound("instance");
  if (input.idempotencyKey) {
    const prior = await ctx.db.operation.findUnique({
      where: { orgId_idempotencyKey: { orgId, idempotencyKey: input.idempotencyKey } },
    });
    if (prior && (prior.kind !== kind || prior.targetId !== found.id)) {
      throw new DomainError(
        "VALIDATION_FAILED",
        `this idempotency key was already used for ${prior.kind} of ${prior.targetId}`,
        { field: "idempotencyKey" },
      );
    }
    if (prior) {
      await dispatchIfUnqueued(ctx, queue, prior.id); // committed before, its job perhaps never sent
      return { instance: instanceDto(found), operationId: asId("operation", prior.id) };
    }
  }
  const result = await ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM instances WHERE id = ${found.id} FOR UPDATE`;
    const current = await tx.instance.findUniqueOrThrow({ where: { id: found.id }, include: withHost });
    const inFlight = await tx.operation.findFirst({
      where: { orgId, targetId: found.id, status: { in: ["queued", "running"] } },
      orderBy: { createdAt: "desc" },
    });
    if (inFlight?.kind === kind)
      return { instance: instanceDto(current), operationId: asId("operation", inFlight.id), fresh: false };
    if (inFlight)
      throw new DomainError(
        "INSTANCE_STATE",
        `instance ${current.name} is busy: its ${inFlight.kind} operation ${inFlight.id} is ${inFlight.status}`,
      );
    const refusal = lifecycleRefusal(kind, current.name, current.status);
    if (refusal) throw new DomainError("INSTANCE_STATE", refusal);
    const row = await tx.instance.update({
      where: { id: found.id },
      data: { status: rule.requested, statusReason: null },
      include: withHost,
    });
    const steps: OperationStep[] = rule.steps.map((s) => ({ name: s, status: "pending", at: null, detail: null }));
    const op = await createOperation(tx, ctx, {
      kind,
      targetType: "instance",
      targetId: found.id,
      steps,
      idempotencyKey: input.idempotencyKey ?? null,
      priorStatus: current.status,
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: kind,
      targetType: "instance",
      targetId: found.id,
      before: { status: current.status },
      after: { status: rule.requested, operationId: op.id },
    });
    return { instance: instanceDto(row), operationId: op.id, fresh: true };
  });
  if (result.fresh) await dispatchOperation(ctx, queue, { id: result.operationId, kind, attempts: 0 });
  else await dispatchIfUnqueued(ctx, queue, result.operationId);
  return { instance: result.instance, operationId: result.operationId };
}

/** Stop: out of the TSC (its flows are revoked at once), then the workload stops on the host; the address stays the instance's. */
export const stopInstance = (ctx: Ctx, queue: OperationQueue, input: z.infer<typeof LifecycleInput>) =>
  requestLifecycle(ctx, queue, "instance.stop", input);
/** Start a stopped (or failed) instance: the agent starts it from its spec (re-created if the host lost it), the TSC plugs it again. */
export const startInstance = (ctx: Ctx, queue: OperationQueue, input: z.infer<typeof LifecycleInput>) =>
  requestLifecycle(ctx, queue, "instance.start", input);
/** Restart: stop then start, in one operation. */
export const restartInstance = (ctx: Ctx, queue: OperationQueue, input: z.infer<typeof LifecycleInput>) =>
  requestLifecycle(ctx, queue, "instance.restart", input);
