import type { PolicyRule } from "@nvi/policy";
import type { Loaded } from "./change.ts";

/**
 * The organization's enabled (or disabled) rules of the matrix's cell src → dst, oldest first, from
 * the policy the change read under its lock (no query of their own): src → dst, or a two-way rule
 * dst → src. `anyProtocol`: only the cell's own kind of rule (any protocol, from a group).
 */
export function cellRules(
  before: Loaded,
  orgId: string,
  q: { srcGroupId: string; dstGroupId: string },
  o: { enabled: boolean; anyProtocol: boolean },
): PolicyRule[] {
  return before.snapshot.rules.filter(
    (r) =>
      r.orgId === orgId &&
      r.enabled === o.enabled &&
      (!o.anyProtocol || (r.protocol === "any" && r.srcVpcId === null)) &&
      ((r.srcGroupId === q.srcGroupId && r.dstGroupId === q.dstGroupId) ||
        (r.bidirectional && r.srcGroupId === q.dstGroupId && r.dstGroupId === q.srcGroupId)),
  );
}
