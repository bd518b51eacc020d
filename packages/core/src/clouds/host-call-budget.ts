import { HOST_IDENTITY_FIELDS, type HostFacts } from "@nvi/contracts";
import type { Bucket, CoreDeps, HostCallBudgets } from "../context.ts";
import { DomainError } from "../errors.ts";

/**
 * How often a host's agent may call the console. Every call made with a host credential spends from
 * the host's `call` bucket; a heartbeat whose identity claim takes the console-wide identity lock
 * (host-identity.ts: a first claim, or a host waiting for an instance block) also spends from its
 * tighter `claim` bucket, before the lock is asked for. An empty bucket refuses the call with
 * RATE_LIMITED (429 and Retry-After): nothing of it is read or stored, and the lock is not taken. So a
 * host that loops (broken or hostile) slows only itself, never another host or another organization.
 *
 * The buckets are rows of `host_call_budgets`, spent by one conditional statement (no row comes back
 * when the bucket is empty), so every console replica spends from the same bucket.
 *
 * What a real agent sends (apps/agent): a heartbeat every 10 s (every second while its fabric facts
 * are incomplete, at most two a second while a gateway's link flaps), a command poll every 2 s and a
 * result per command, a serial-console long poll every 20 s and an attach per session: about one call
 * a second at its busiest, a burst of results after a batch of commands. Claim-bearing heartbeats come
 * only while facts first appear (a few after enrollment) or, refused, at the agent's back-off (2 s up
 * to 30 s). The defaults leave several times that.
 */
export type { Bucket, HostCallBudgets };

export const DEFAULT_HOST_CALL_BUDGETS: HostCallBudgets = {
  call: { burst: 120, perSecond: 5 },
  claim: { burst: 12, perSecond: 0.2 },
};

export type BudgetKind = keyof HostCallBudgets;

const LABEL: Record<BudgetKind, string> = {
  call: "calls",
  claim: "identity claims (heartbeats with a first claim)",
};

function bucketOf(deps: Pick<CoreDeps, "hostCallBudgets">, kind: BudgetKind): Bucket {
  return { ...DEFAULT_HOST_CALL_BUDGETS[kind], ...deps.hostCallBudgets?.[kind] };
}

/**
 * Spends one call of a host's bucket, or refuses it (RATE_LIMITED with the seconds until the bucket
 * holds a call again). One statement: the refill since the last spend, capped at the burst, minus one,
 * written only when at least one call was left.
 */
export async function spendHostCall(
  deps: Pick<CoreDeps, "db" | "clock" | "hostCallBudgets">,
  hostId: string,
  kind: BudgetKind,
): Promise<void> {
  const { burst, perSecond } = bucketOf(deps, kind);
  const now = deps.clock();
  const spent = await deps.db.$queryRaw<{ tokens: number }[]>`
    INSERT INTO host_call_budgets AS b (host_id, kind, tokens, refilled_at)
    VALUES (${hostId}, ${kind}, ${burst - 1}, ${now}::timestamp(3))
    ON CONFLICT (host_id, kind) DO UPDATE
      SET tokens = LEAST(${burst}::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (${now}::timestamp(3) - b.refilled_at))) * ${perSecond}::float8) - 1,
          refilled_at = GREATEST(b.refilled_at, ${now}::timestamp(3))
      WHERE LEAST(${burst}::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (${now}::timestamp(3) - b.refilled_at))) * ${perSecond}::float8) >= 1
    RETURNING b.tokens`;
  if (spent.length > 0) return;
  const left = await deps.db.hostCallBudget.findUnique({
    where: { hostId_kind: { hostId, kind } },
    select: { tokens: true, refilledAt: true },
  });
  const elapsed = left ? Math.max(0, (now.getTime() - left.refilledAt.getTime()) / 1000) : 0;
  const have = left ? Math.min(burst, left.tokens + elapsed * perSecond) : 0;
  const retryAfterSeconds = Math.max(1, Math.ceil((1 - have) / perSecond));
  throw new DomainError(
    "RATE_LIMITED",
    `this host sends too many ${LABEL[kind]} (at most ${burst} at once, then ${perSecond * 60} a minute); nothing of this call was done, retry in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

/**
 * Whether a heartbeat with these facts takes the identity lock, judged from the approved identity
 * before its transaction. Approved facts only ever go from unset to set, so a heartbeat judged plain
 * here cannot need the lock later unless the approved identity changed in between; checkHeartbeatClaim
 * refuses that rare one (it never takes the lock unpaid).
 */
export async function takesIdentityLock(
  deps: Pick<CoreDeps, "db">,
  hostId: string,
  facts: HostFacts,
): Promise<boolean> {
  const row = await deps.db.host.findUnique({
    where: { id: hostId },
    select: Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, true])) as Record<
      (typeof HOST_IDENTITY_FIELDS)[number],
      true
    >,
  });
  if (!row) return false;
  const claimed = (f: (typeof HOST_IDENTITY_FIELDS)[number]) => facts[f] ?? null;
  // a claim that changes an approved fact is refused before the lock (it waits for an owner's approval)
  if (HOST_IDENTITY_FIELDS.some((f) => row[f] !== null && claimed(f) !== null && row[f] !== claimed(f))) return false;
  const firstClaim = HOST_IDENTITY_FIELDS.some((f) => row[f] === null && claimed(f) !== null);
  const datapathId = row.datapathId ?? facts.datapathId ?? null;
  return firstClaim || (row.instanceBlock === null && claimed("instanceBlock") === null && datapathId !== null);
}
