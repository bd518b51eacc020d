import { listenChannel, type DbTx } from "@nvi/db";
import { z } from "zod";

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

/** Queued in `tx`: sent to every listener when (and only if) the transaction commits. */
export async function announcePolicyChange(tx: DbTx, change: PolicyChanged): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${POLICY_CHANGED_CHANNEL}, ${JSON.stringify(PolicyChanged.parse(change))})`;
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
