import { listenChannel, type DbTx } from "@nvi/db";
import { z } from "zod";
import type { AuditRow } from "../audit/audit.ts";

/** Announced in the transaction of every applied policy change: Postgres delivers it on commit. */
export const POLICY_CHANGED_CHANNEL = "nvi_policy_changed";

/** What the worker's TSC needs to start revoking: the operation (the record) and the organizations whose policy moved. */
export const PolicyChanged = z.object({
  operationId: z.string().min(1).max(60),
  orgIds: z.array(z.string().min(1).max(60)).min(1).max(16),
  /** the first organization's policy version after the change (what the TSC records its view at, without asking) */
  policyVersion: z.number().int().nonnegative().optional(),
});
export type PolicyChanged = z.infer<typeof PolicyChanged>;

/**
 * The record of an applied policy change, written by one statement in `tx` (one round trip inside
 * the organization's lock): every named organization's policy version goes up, the `policy.apply`
 * operation is created (its step names the first one's new version), and the change is announced
 * on `nvi_policy_changed`, which Postgres delivers to the worker's TSC when (and only if) `tx`
 * commits. Returns the first organization's new policy version.
 */
export async function recordPolicyChange(
  tx: DbTx,
  o: {
    operationId: string;
    orgIds: readonly [string, ...string[]];
    requestedBy: string;
    /** audit events of the change, written by the same statement (one round trip fewer per event) */
    audit?: readonly AuditRow[];
  },
): Promise<number> {
  const [orgId, ...others] = o.orgIds;
  const announced = PolicyChanged.omit({ policyVersion: true }).parse({
    operationId: o.operationId,
    orgIds: o.orgIds,
  });
  const audit = JSON.stringify(
    (o.audit ?? []).map((a) => ({ ...a, at: a.at.toISOString(), before: a.before ?? null, after: a.after ?? null })),
  );
  const [row] = await tx.$queryRaw<{ version: number }[]>`
    WITH v AS (
      UPDATE organizations SET policy_version = policy_version + 1 WHERE id = ${orgId} RETURNING policy_version
    ), others AS (
      UPDATE organizations SET policy_version = policy_version + 1 WHERE id = ANY(${others}::text[]) RETURNING id
    ), op AS (
      INSERT INTO operations (id, org_id, kind, target_type, target_id, steps, requested_by)
      SELECT ${o.operationId}, ${orgId}, 'policy.apply', 'policy', ${orgId},
        jsonb_build_array(jsonb_build_object('name', 'apply policy version ' || v.policy_version || ' on every VEB',
          'status', 'pending', 'at', NULL, 'detail', NULL)),
        ${o.requestedBy}
      FROM v RETURNING id
    ), audited AS (
      INSERT INTO audit_events (id, org_id, at, actor_type, actor_id, actor_label, action, target_type, target_id,
        before, after, source_ip)
      SELECT a.id, a."orgId", (a.at)::timestamptz AT TIME ZONE 'UTC', a."actorType"::"ActorType", a."actorId",
        a."actorLabel", a.action, a."targetType", a."targetId",
        nullif(a.before, 'null'::jsonb), nullif(a.after, 'null'::jsonb), a."sourceIp"
      FROM jsonb_to_recordset(${audit}::jsonb) AS a(id text, "orgId" text, at text, "actorType" text, "actorId" text,
        "actorLabel" text, action text, "targetType" text, "targetId" text, before jsonb, after jsonb, "sourceIp" text)
      RETURNING id
    )
    SELECT v.policy_version AS version,
      pg_notify(${POLICY_CHANGED_CHANNEL},
        (${JSON.stringify(announced)}::jsonb || jsonb_build_object('policyVersion', v.policy_version))::text)::text
        IS NOT NULL AS announced,
      (SELECT count(*)::int FROM others) AS others,
      (SELECT count(*)::int FROM audited) AS audited
    FROM v, op`;
  if (!row) throw new Error(`organization ${orgId} not found`);
  return Number(row.version);
}

/**
 * Calls `onChange` as each policy change commits (the worker's fast path to its TSC). A payload
 * that does not parse is reported and skipped; the BullMQ job of the same operation is the
 * durable fallback for anything missed while the connection was down.
 */
export function listenForPolicyChanges(
  databaseUrl: string,
  onChange: (change: PolicyChanged) => void,
  onError: (e: Error) => void,
  onListening?: () => void,
): { close(): Promise<void> } {
  return listenChannel(
    databaseUrl,
    POLICY_CHANGED_CHANNEL,
    (payload) => {
      let parsed: PolicyChanged;
      try {
        parsed = PolicyChanged.parse(JSON.parse(payload));
      } catch (e) {
        onError(new Error(`a policy-change notification that does not parse: ${(e as Error).message}`));
        return;
      }
      onChange(parsed);
    },
    onError,
    onListening,
  );
}
