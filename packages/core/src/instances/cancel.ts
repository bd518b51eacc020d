import type { InstanceStatus, OperationDto } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { actorLabel, type Ctx, type CoreDeps } from "../context.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import { DomainError, notFound } from "../errors.ts";
import { releaseAddress } from "../vpcs/ipam.ts";
import { LIFECYCLE, type LifecycleKind } from "./lifecycle.ts";
import { operationDto, type OperationRef } from "../operations/operations.ts";
import { markCancelled } from "../operations/progress.ts";

/**
 * Cancelling an operation. A queued one that never ran is cancelled at once and what its request
 * did is undone in the same transaction: a launch releases its address and the instance is marked
 * `terminated` ("launch cancelled by …", its name freed); a stop/start/restart puts the instance
 * back in the status it had. A running one is marked (`cancelledBy`) and the worker stops at its
 * next safe step boundary (see the executors), undoing what it did; past the last boundary it
 * simply finishes. A terminate only goes forward, and an operation that already ran once (a retry)
 * is not cancelled: terminate, stop or start the instance instead.
 */
export async function cancelOperation(ctx: Ctx, input: z.infer<typeof OperationRef>): Promise<OperationDto> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const found = await ctx.db.operation.findFirst({ where: { id: input.operationId, orgId: ctx.actor.orgId } });
  if (!found) throw notFound("operation");
  const by = actorLabel(ctx.actor);
  return ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM operations WHERE id = ${found.id} FOR UPDATE`;
    const op = await tx.operation.findUniqueOrThrow({ where: { id: found.id } });
    if (op.status !== "queued" && op.status !== "running")
      throw new DomainError("OPERATION_STATE", `operation ${op.id} is already ${op.status}: nothing to cancel`);
    if (op.kind === "instance.terminate")
      throw new DomainError("OPERATION_STATE", "a terminate cannot be cancelled: it only goes forward");
    if (op.status === "running" && op.cancelledBy) return operationDto(op);
    if (op.status === "queued" && op.attempts > 0)
      throw new DomainError(
        "OPERATION_STATE",
        `operation ${op.id} already ran once (it is a retry): terminate, stop or start the instance instead`,
      );
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "operation.cancel",
      targetType: "operation",
      targetId: op.id,
      before: { status: op.status, kind: op.kind, targetId: op.targetId },
    });
    if (op.status === "running")
      return operationDto(await tx.operation.update({ where: { id: op.id }, data: { cancelledBy: by } }));
    if (op.kind === "instance.launch") await undoLaunch(tx, op.targetId, by);
    else await restoreStatus(tx, op.targetId, op.kind as LifecycleKind, op.priorStatus);
    return operationDto(await markCancelled(tx, ctx, op.id, by));
  });
}

/** A launch that never finished: address released, the instance terminated with the reason (its name is free again). */
export async function undoLaunch(tx: DbTx, instanceId: string, by: string): Promise<void> {
  const inst = await tx.instance.findUnique({ where: { id: instanceId } });
  if (!inst || inst.status === "terminated") return;
  await releaseAddress(tx, inst.subnetId, inst.address);
  await tx.instance.update({
    where: { id: inst.id },
    data: {
      status: "terminated",
      ofport: null,
      statusReason: `launch cancelled by ${by}`,
      name: `${inst.name}~${inst.id.slice(-6)}`,
    },
  });
  await tx.instanceEnv.deleteMany({ where: { instanceId: inst.id } });
}

/** A stop/start/restart that never ran: the instance goes back to the status it had (if nothing else moved it meanwhile). */
export async function restoreStatus(
  tx: DbTx,
  instanceId: string,
  kind: LifecycleKind,
  prior: string | null,
): Promise<void> {
  const rule = LIFECYCLE[kind];
  const back = (rule.from as readonly string[]).includes(prior ?? "") ? (prior as InstanceStatus) : rule.from[0];
  if (!back) return;
  await tx.instance.updateMany({ where: { id: instanceId, status: rule.requested }, data: { status: back } });
}

/** The worker's side of a cancelled launch: undone and marked in one transaction. */
export async function finishCancelledLaunch(
  deps: CoreDeps,
  operationId: string,
  instanceId: string,
  by: string,
): Promise<void> {
  await deps.db.$transaction(async (tx) => {
    await undoLaunch(tx, instanceId, by);
    await markCancelled(tx, deps, operationId, by);
  });
}
