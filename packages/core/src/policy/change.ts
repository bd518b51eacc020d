import { asId } from "@nvi/contracts";
import type { AccessChange, PolicyChangeDto } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { accessChanges, PolicyView, type PolicyInstance } from "@nvi/policy";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf, type AuditEntry, type AuditRow } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { dispatchOperation } from "../operations/outbox.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { recordPolicyChange } from "./notify.ts";
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
  /** audit events written with the change's record, in its statement (a mutation may also write its own) */
  audit?: AuditRow[];
}

/**
 * Every policy change goes through here, in one transaction: lock the organization's policy, read
 * it, apply `mutate` (which is handed that reading, writes its rows, and writes its audit entry with
 * before/after or returns it for the record's statement to write), read it again
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
  mutate: (tx: DbTx, before: Loaded) => Promise<PolicyMutation>,
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
      const m = await mutate(tx, before);
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
      // the versions, the operation and the announcement: one statement; the worker's TSC hears
      // it as the transaction commits and starts revoking at once
      const operationId = ctx.newId("operation");
      const policyVersion = await recordPolicyChange(tx, {
        operationId,
        orgIds: [orgId, ...(m.alsoOrgs ?? []).filter((o) => o !== orgId)],
        requestedBy: ctx.actor.email,
        ...(m.audit ? { audit: m.audit } : {}),
      });
      return {
        operationId,
        policyVersion,
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
    dispatchOperation(ctx, queue, { id: applied.operationId, kind: "policy.apply", attempts: 0 }),
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

export type Loaded = Awaited<ReturnType<typeof loadPolicy>>;

/**
 * A policy change that sets one setting of one of the organization's rows (an instance's labels,
 * a VPC's underlay mark): the row is found (else `missing`), written, and audited before → after.
 */
export function changePolicySetting<Row extends { id: string }>(
  ctx: Ctx,
  queue: OperationQueue,
  preview: boolean,
  s: {
    find: (tx: DbTx) => Promise<Row | null>;
    missing: Error;
    write: (tx: DbTx, row: Row) => Promise<unknown>;
    audit: { action: string; targetType: AuditEntry["targetType"]; before: (row: Row) => unknown; after: unknown };
  },
): Promise<PolicyChangeDto> {
  return changePolicy(ctx, queue, { preview }, async (tx) => {
    const row = await s.find(tx);
    if (!row) throw s.missing;
    await s.write(tx, row);
    const { action, targetType, before, after } = s.audit;
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action,
      targetType,
      targetId: row.id,
      before: before(row),
      after,
    });
    return { targetId: row.id };
  });
}

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
