import { asId } from "@nvi/contracts";
import type { AccessChange, PolicyChangeDto } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { accessChanges, PolicyView, type PolicyInstance } from "@nvi/policy";
import { z } from "zod";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { createOperation } from "../operations/operations.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { announcePolicyChange } from "./notify.ts";
import { loadPolicy } from "./snapshot.ts";

/** `preview: true` (JSON) or `?preview=true` (a DELETE's query string): show what would change, keep nothing. */
export const previewFlag = z
  .union([z.boolean(), z.enum(["true", "false"])])
  .default(false)
  .transform((v) => v === true || v === "true");

/** Thrown inside a preview's transaction so that nothing it did is kept. */
class PreviewRollback extends Error {
  constructor(readonly result: PolicyChangeDto) {
    super("preview");
  }
}

/** Serialises the policy changes of one organization. */
export async function lockPolicy(tx: DbTx, orgId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`policy:${orgId}`}))`;
}

function accessChange(d: ReturnType<typeof accessChanges>["changes"][number], orgId: string): AccessChange {
  // an instance of another tenant (across a peering) is shown by address only
  const side = (i: PolicyInstance) =>
    i.orgId === orgId
      ? { instanceId: i.id, name: i.name, address: i.address }
      : { instanceId: "", name: `${i.address} (peer tenant)`, address: i.address };
  return { from: side(d.from), to: side(d.to), before: d.before, after: d.after, change: d.change };
}

export interface PolicyMutation {
  /** the group, rule, deny entry or peering it created or changed (null for a removal) */
  targetId: string | null;
  /** other organizations whose policy this changes too (the other side of a peering) */
  alsoOrgs?: string[];
}

/**
 * Every policy change goes through here, in one transaction: lock the organization's policy, read
 * it, apply `mutate` (which writes its rows and its audit entry with before/after), read it again
 * and list every instance pair whose access changes. A preview stops there and rolls everything
 * back, so what it shows is exactly what applying would do. Otherwise the policy version goes up,
 * a `policy.apply` operation is created and announced on `nvi_policy_changed` in the same
 * transaction: the worker's TSC hears it as it commits and revokes what is no longer allowed on
 * every VEB (both directions) while the API still queues the BullMQ job (the durable fallback) and
 * lists the changed pairs. Nothing after the commit delays the flows.
 */
export async function changePolicy(
  ctx: Ctx,
  queue: OperationQueue,
  o: { preview: boolean },
  mutate: (tx: DbTx) => Promise<PolicyMutation>,
): Promise<PolicyChangeDto> {
  assertScope(ctx.actor.scopes, "policies", "write");
  const orgId = ctx.actor.orgId;
  let applied: {
    operationId: string;
    policyVersion: number;
    targetId: string | null;
    before: Loaded;
    alsoOrgs: string[];
  };
  try {
    applied = await ctx.db.$transaction(async (tx) => {
      await lockPolicy(tx, orgId);
      const before = await loadPolicy(tx, [orgId]);
      const m = await mutate(tx);
      if (o.preview) {
        const { changes, pairsChecked } = diff(before, await loadPolicy(tx, [orgId, ...(m.alsoOrgs ?? [])]), orgId);
        const org = await tx.organization.findUniqueOrThrow({ where: { id: orgId }, select: { policyVersion: true } });
        throw new PreviewRollback({
          applied: false,
          policyVersion: org.policyVersion,
          operationId: null,
          targetId: m.targetId,
          changes,
          pairsChecked,
        });
      }
      const org = await tx.organization.update({
        where: { id: orgId },
        data: { policyVersion: { increment: 1 } },
        select: { policyVersion: true },
      });
      for (const other of m.alsoOrgs ?? [])
        if (other !== orgId)
          await tx.organization.update({ where: { id: other }, data: { policyVersion: { increment: 1 } } });
      const op = await createOperation(tx, ctx, {
        kind: "policy.apply",
        targetType: "policy",
        targetId: orgId,
        steps: [
          { name: `apply policy version ${org.policyVersion} on every VEB`, status: "pending", at: null, detail: null },
        ],
        idempotencyKey: null,
      });
      // the worker's TSC hears this as the transaction commits and starts revoking at once
      await announcePolicyChange(tx, {
        operationId: op.id,
        orgIds: [orgId, ...(m.alsoOrgs ?? []).filter((o) => o !== orgId)],
        policyVersion: org.policyVersion,
      });
      return {
        operationId: op.id,
        policyVersion: org.policyVersion,
        targetId: m.targetId,
        before,
        alsoOrgs: m.alsoOrgs ?? [],
      };
    });
  } catch (error) {
    if (error instanceof PreviewRollback) return error.result;
    throw error;
  }
  // the TSC already heard of the commit (nvi_policy_changed); the job (its durable fallback) and the
  // listing of what changed go side by side. The "after" side is read once committed, so a change
  // committed in between by someone else would show here too.
  const [, after] = await Promise.all([
    queue.enqueue("policy.apply", applied.operationId),
    loadPolicy(ctx.db, [orgId, ...applied.alsoOrgs]),
  ]);
  const { changes, pairsChecked } = diff(applied.before, after, orgId);
  return {
    applied: true,
    policyVersion: applied.policyVersion,
    operationId: asId("operation", applied.operationId),
    targetId: applied.targetId,
    changes,
    pairsChecked,
  };
}

type Loaded = Awaited<ReturnType<typeof loadPolicy>>;

/** The pairs (one side in this organization) whose access differs between two readings of the policy. */
function diff(before: Loaded, after: Loaded, orgId: string): { changes: AccessChange[]; pairsChecked: number } {
  const delta = accessChanges(
    new PolicyView(before.snapshot),
    new PolicyView(after.snapshot),
    before.instances,
    after.instances,
  );
  return {
    changes: delta.changes
      .filter((c) => c.from.orgId === orgId || c.to.orgId === orgId)
      .map((c) => accessChange(c, orgId)),
    pairsChecked: delta.pairsChecked,
  };
}
