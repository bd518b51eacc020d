import type { DbTx } from "@nvi/db";
import type { CoreDeps, OrgLimits } from "../context.ts";
import { DomainError } from "../errors.ts";
import { isProblem, parseCidr } from "../net/cidr.ts";
import { DEFAULT_INSTANCE_POOL, parseInstancePool, poolSlots } from "./instance-blocks.ts";

/**
 * What one organization may hold of what every tenant shares (issue 16 review): hosts, and /24s of
 * the console's instance pool. Without them one tenant's forged enrollments (a reusable join token
 * enrolls up to 50 hosts, and it can make more tokens) or hand-claimed wide blocks (`--instance-block`
 * /16 inside the pool) could take every block, and every other tenant's new host would be refused
 * with INSTANCE_POOL_FULL. Console-wide settings: `NVI_ORG_HOST_LIMIT`, `NVI_ORG_POOL_BLOCK_LIMIT`.
 */
export const DEFAULT_ORG_LIMITS: OrgLimits = { hosts: 256, poolBlocks: 256 };

export function orgLimitsOf(deps: Pick<CoreDeps, "orgLimits">): OrgLimits {
  return { ...DEFAULT_ORG_LIMITS, ...deps.orgLimits };
}

/**
 * Enrollment, inside its transaction and before anything is written: refuses a host beyond the
 * organization's limit. A per-organization advisory lock serializes the count with the insert, so
 * racing enrollments cannot pass it together (taken before the identity lock, never after it).
 */
export async function assertHostQuota(tx: DbTx, deps: Pick<CoreDeps, "orgLimits">, orgId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('nvi:org-hosts'), hashtext(${orgId}))`;
  const limit = orgLimitsOf(deps).hosts;
  const count = await tx.host.count({ where: { orgId } });
  if (count >= limit)
    throw new DomainError(
      "HOST_QUOTA_REACHED",
      `the organization has ${count} hosts, the console's limit per organization (NVI_ORG_HOST_LIMIT ${limit}): remove a host in the console before enrolling another, or ask the console's operator to raise the limit`,
      { field: "joinToken" },
    );
}

/**
 * Under the identity lock: why `block` (a claimed CIDR, or `"assigned"`: one fresh /24 of the pool)
 * would take the organization past its share of the pool, or null. Only the pool's /24s the block
 * adds to what the organization's other hosts already touch count; blocks outside the pool are free.
 */
export async function poolShareProblem(
  tx: DbTx,
  deps: Pick<CoreDeps, "orgLimits" | "instancePool">,
  orgId: string,
  hostId: string | null,
  block: string,
): Promise<string | null> {
  const text = deps.instancePool ?? DEFAULT_INSTANCE_POOL;
  const pool = parseInstancePool(text);
  if ("message" in pool) throw new Error(pool.message);
  const claimed = block === "assigned" ? null : parseCidr(block);
  if (claimed && isProblem(claimed)) return null; // contracts validated it; nothing in the pool
  const mine = await tx.host.findMany({
    where: { orgId, instanceBlock: { not: null }, ...(hostId ? { id: { not: hostId } } : {}) },
    select: { instanceBlock: true },
  });
  const held = poolSlots(
    pool,
    mine.map((h) => h.instanceBlock),
  );
  const added = claimed ? [...poolSlots(pool, [block])].filter((i) => !held.has(i)).length : 1;
  const limit = orgLimitsOf(deps).poolBlocks;
  if (added === 0 || held.size + added <= limit) return null;
  const what = claimed ? `instance block ${block} would take ${added} more` : "a host needs one more";
  return `the organization's hosts hold ${held.size} /24 blocks of the console's instance pool ${text}, its limit per organization (NVI_ORG_POOL_BLOCK_LIMIT ${limit}), and ${what}: remove a host, or give this host a block of your own outside the pool (install.sh --instance-block)`;
}
