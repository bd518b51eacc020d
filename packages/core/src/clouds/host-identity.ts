import {
  HOST_IDENTITY_FIELDS,
  HOST_IDENTITY_MASK,
  HostIdentity,
  type HostFacts,
  type IdentityClaimDto,
} from "@nvi/contracts";
import { Prisma, type DbTx } from "@nvi/db";
import { createHash } from "node:crypto";
import { z } from "zod";
import { ROLE_RANK, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound, type ErrorCode } from "../errors.ts";
import { containsAddress, isProblem, overlaps, parseCidr, parseIpv4, type Cidr } from "../net/cidr.ts";
import { DEFAULT_INSTANCE_POOL, firstFreeBlock, parseInstancePool } from "./instance-blocks.ts";
import { poolShareProblem } from "./org-limits.ts";

/**
 * A host's identity on the fabric (datapath id, fabric address and prefix, fabric MAC, next hop's
 * MAC, instance block) is a claim until the console approves it. Claims are not facts:
 *
 * - The first claim of a fact (at enrollment, or the first heartbeat that reports it) is approved if
 *   it is unique across every organization: one console drives one routed underlay (the TSC maps
 *   every host's fabric addresses into one address space, and a cloud's datacenter is a label its
 *   tenant chooses), so datapath ids, fabric addresses and fabric MACs are unique console-wide, and
 *   no instance block overlaps another host's block or fabric address. The next hop's MAC is the
 *   router's, shared by the hosts of a segment: approved, never checked unique.
 * - A heartbeat that reports a different value for an approved fact, or a first claim that conflicts,
 *   is refused (`HOST_IDENTITY_CONFLICT`, 409): the claim and the reason are kept on the host, the
 *   refusal is audited (and, for a conflict, the holder's organization is told its host was claimed).
 * - An owner or admin approves a legitimate change (`approveHostIdentity`, a re-installed machine) —
 *   only if the new facts are still unique.
 *
 * - A host that carries traffic (it reports a datapath id) and claims no instance block is assigned
 *   the first free block of the console's pool (instance-blocks.ts) with its first claim.
 *
 * Checks and writes run under one advisory lock, so two claims can never both win; the unique indexes
 * on `hosts` are the second guard. A claim some host already holds is refused before the lock is asked
 * for (`holderBeforeWinning`), so only claims that may win ever wait for it. The worker's fabric and
 * the TSC read only the approved columns.
 */
export type Identity = HostIdentity;

const EMPTY: Identity = {
  datapathId: null,
  fabricAddress: null,
  fabricPrefixLen: null,
  fabricMac: null,
  nextHopMac: null,
  instanceBlock: null,
  wireguardPublicKey: null,
};

export const identitySelect = HOST_IDENTITY_MASK;

export function claimedIdentity(facts: HostFacts): Identity {
  return { ...EMPTY, ...Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, facts[f]])) };
}

/** The claimed values laid over the approved ones (a null claim keeps what is approved). */
function merged(approved: Identity, claim: Identity): Identity {
  return Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, claim[f] ?? approved[f]])) as Identity;
}

const LABELS: Record<keyof Identity, string> = {
  datapathId: "datapath id",
  fabricAddress: "fabric address",
  fabricPrefixLen: "fabric prefix length",
  fabricMac: "fabric MAC",
  nextHopMac: "next-hop MAC",
  instanceBlock: "instance block",
  wireguardPublicKey: "WireGuard public key",
};

/** Approved facts the claim changes (a legitimate change needs an owner or admin). */
function changedFacts(approved: Identity, claim: Identity): string[] {
  return HOST_IDENTITY_FIELDS.filter((f) => approved[f] !== null && claim[f] !== null && approved[f] !== claim[f]).map(
    (f) => (f === "wireguardPublicKey" ? `${LABELS[f]} (a new key)` : `${LABELS[f]} ${approved[f]} → ${claim[f]}`),
  );
}

/**
 * What the audit log keeps of facts or an identity: everything but the WireGuard key, which becomes a
 * short fingerprint (enough to tell two keys apart; keys are kept out of logs and audit exports).
 */
export function auditable<T extends { wireguardPublicKey?: string | null | undefined }>(facts: T): T {
  const key = facts.wireguardPublicKey;
  if (!key) return facts;
  return { ...facts, wireguardPublicKey: `sha256:${createHash("sha256").update(key).digest("hex").slice(0, 12)}` };
}

/**
 * The console-wide identity lock. A heartbeat takes it only when it paid for it from its host's claim
 * budget (host-call-budget.ts); one judged plain whose host's approved identity changed meanwhile is
 * sent back to try again.
 */
async function lockIdentities(tx: DbTx, paid = true): Promise<void> {
  if (!paid)
    throw new DomainError("RATE_LIMITED", "this host's identity changed meanwhile; retry the heartbeat", {
      retryAfterSeconds: 1,
    });
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('nvi:host-identity'))`;
}

interface Holder {
  hostId: string;
  orgId: string;
  name: string;
  reason: string;
}

/** Under the lock: which other host already holds one of these facts, and what; null when the identity is free. */
async function holderOf(tx: DbTx, hostId: string | null, orgId: string, identity: Identity): Promise<Holder | null> {
  const others = await tx.host.findMany({
    where: {
      ...(hostId ? { id: { not: hostId } } : {}),
      OR: [
        { datapathId: { not: null } },
        { fabricAddress: { not: null } },
        { fabricMac: { not: null } },
        { instanceBlock: { not: null } },
        { wireguardPublicKey: { not: null } },
      ],
    },
    select: { id: true, orgId: true, name: true, ...identitySelect },
  });
  const block = identity.instanceBlock ? parseCidr(identity.instanceBlock) : null;
  const mine: Cidr | null = block && !isProblem(block) ? block : null;
  const address = identity.fabricAddress ? parseIpv4(identity.fabricAddress) : null;
  for (const o of others) {
    const theirs = o.instanceBlock ? parseCidr(o.instanceBlock) : null;
    const theirBlock = theirs && !isProblem(theirs) ? theirs : null;
    const theirAddress = o.fabricAddress ? parseIpv4(o.fabricAddress) : null;
    const why =
      identity.datapathId && o.datapathId === identity.datapathId
        ? `datapath id ${identity.datapathId}`
        : identity.fabricAddress && o.fabricAddress === identity.fabricAddress
          ? `fabric address ${identity.fabricAddress}`
          : identity.fabricMac && o.fabricMac === identity.fabricMac
            ? `fabric MAC ${identity.fabricMac}`
            : identity.wireguardPublicKey && o.wireguardPublicKey === identity.wireguardPublicKey
              ? "WireGuard public key"
              : mine && theirBlock && overlaps(mine, theirBlock)
                ? `instance block ${identity.instanceBlock} (overlaps ${o.orgId === orgId ? o.instanceBlock : "another block"})`
                : mine && theirAddress !== null && containsAddress(mine, theirAddress)
                  ? `instance block ${identity.instanceBlock} (holds another host's fabric address)`
                  : address !== null && theirBlock && containsAddress(theirBlock, address)
                    ? `fabric address ${identity.fabricAddress} (inside another host's instance block)`
                    : null;
    if (why)
      return {
        hostId: o.id,
        orgId: o.orgId,
        name: o.name,
        reason: `${why} is approved for ${o.orgId === orgId ? `host ${o.name}` : "a host of another organization"}`,
      };
  }
  return null;
}

/**
 * Who holds these facts: first from a plain read, so a claim another host already holds is refused
 * without the lock (a host repeating a conflicting claim never makes another host wait); only a claim
 * that may win is checked again under the lock, so two claims can never both win. A holder the plain
 * read sees has committed its facts: the check under the lock would name it too.
 */
async function holderBeforeWinning(
  tx: DbTx,
  hostId: string | null,
  orgId: string,
  identity: Identity,
  lock: () => Promise<void>,
): Promise<Holder | null> {
  const seen = await holderOf(tx, hostId, orgId, identity);
  if (seen) return seen;
  await lock();
  return holderOf(tx, hostId, orgId, identity);
}

const asJson = (i: Identity) => i as unknown as Prisma.InputJsonValue;

/** The holder's organization learns that its host's identity was claimed (never by whom). */
async function auditContested(
  tx: DbTx,
  deps: Pick<CoreDeps, "clock" | "newId">,
  holder: Holder,
  claimantOrgId: string,
): Promise<void> {
  if (holder.orgId === claimantOrgId) return;
  await recordAudit(
    tx,
    deps,
    { orgId: holder.orgId, actorType: "system", actorId: null, actorLabel: "console", sourceIp: null },
    {
      action: "host.identity.contested",
      targetType: "host",
      targetId: holder.hostId,
      after: {
        host: holder.name,
        reason: holder.reason.replace(
          / is approved for .*$/,
          " was claimed by a host of another organization and refused",
        ),
      },
    },
  );
}

/**
 * Enrollment (inside its transaction): the first claim of every reported fact, approved when unique.
 * A conflict refuses the enrollment (the caller audits the refusal outside the rolled-back transaction).
 */
export async function approveFirstClaim(
  tx: DbTx,
  deps: Pick<CoreDeps, "clock" | "newId" | "instancePool" | "orgLimits">,
  orgId: string,
  facts: HostFacts,
): Promise<Identity> {
  const claim = claimedIdentity(facts);
  if (HOST_IDENTITY_FIELDS.every((f) => claim[f] === null)) return claim;
  const holder = await holderBeforeWinning(tx, null, orgId, claim, () => lockIdentities(tx));
  if (holder) {
    await auditContested(tx, deps, holder, orgId);
    throw identityConflict(holder.reason);
  }
  const over = claim.instanceBlock ? await poolShareProblem(tx, deps, orgId, null, claim.instanceBlock) : null;
  if (over) throw new DomainError("INSTANCE_BLOCK_QUOTA_REACHED", over, { field: "facts" });
  const assigned = await withAssignedBlock(tx, deps, { id: null, orgId }, claim);
  if ("refused" in assigned) throw new DomainError(assigned.code, assigned.refused, { field: "facts" });
  return assigned;
}

/** Why a heartbeat's claim is refused, and with which code (an identity conflict, or a block the console cannot give). */
export interface Refusal {
  refused: string;
  code: ErrorCode;
}

/** A host on the fabric (a datapath id) without an instance block gets one from the pool; under the identity lock. */
const needsBlock = (identity: Identity) => identity.instanceBlock === null && identity.datapathId !== null;

async function withAssignedBlock(
  tx: DbTx,
  deps: Pick<CoreDeps, "instancePool" | "orgLimits">,
  host: { id: string | null; orgId: string },
  identity: Identity,
): Promise<Identity | Refusal> {
  if (!needsBlock(identity)) return identity;
  const hostId = host.id;
  const text = deps.instancePool ?? DEFAULT_INSTANCE_POOL;
  const pool = parseInstancePool(text);
  // the console checks NVI_INSTANCE_POOL at start; this is a wiring mistake, not the host's
  if ("message" in pool) throw new Error(pool.message);
  const taken = await tx.host.findMany({
    where: {
      ...(hostId ? { id: { not: hostId } } : {}),
      OR: [{ instanceBlock: { not: null } }, { fabricAddress: { not: null } }],
    },
    select: { instanceBlock: true, fabricAddress: true },
  });
  const block = firstFreeBlock(pool, [...taken, { instanceBlock: null, fabricAddress: identity.fabricAddress }]);
  if (!block)
    return {
      code: "INSTANCE_POOL_FULL",
      refused: `no free /24 is left in the console's instance pool ${text}: widen NVI_INSTANCE_POOL, or give this host its own block (install.sh --instance-block)`,
    };
  const over = await poolShareProblem(tx, deps, host.orgId, hostId, "assigned");
  if (over) return { code: "INSTANCE_BLOCK_QUOTA_REACHED", refused: over };
  return { ...identity, instanceBlock: block };
}

export function identityConflict(reason: string): DomainError {
  return new DomainError(
    "HOST_IDENTITY_CONFLICT",
    `host identity refused: ${reason}; an owner or admin can approve a legitimate change (nvi hosts approve-identity) once it is unique`,
    { field: "facts" },
  );
}

/**
 * A heartbeat's claim against the approved identity (inside the heartbeat's transaction). Returns the
 * identity to keep (first claims approved) or the reason it is refused; a refusal is recorded on the
 * host and audited once per distinct claim (not every 10 s).
 */
export async function checkHeartbeatClaim(
  tx: DbTx,
  deps: Pick<CoreDeps, "clock" | "newId" | "instancePool" | "orgLimits">,
  host: { id: string; orgId: string; name: string },
  facts: HostFacts,
  options: { lockPaid: boolean },
): Promise<{ identity: Identity; firstClaims: Partial<Identity> } | Refusal> {
  const lock = () => lockIdentities(tx, options.lockPaid);
  const row = await tx.host.findUnique({
    where: { id: host.id },
    select: { ...identitySelect, identityClaim: true, identityProblem: true },
  });
  if (!row) throw new DomainError("HOST_CREDENTIAL_INVALID", "the host was removed");
  const approved: Identity = { ...EMPTY, ...Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, row[f]])) };
  const claim = claimedIdentity(facts);
  const changed = changedFacts(approved, claim);
  const firstClaims = Object.fromEntries(
    HOST_IDENTITY_FIELDS.filter((f) => approved[f] === null && claim[f] !== null).map((f) => [f, claim[f]]),
  ) as Partial<Identity>;
  let reason: string | null =
    changed.length > 0 ? `the heartbeat changes approved facts (${changed.join(", ")})` : null;
  let code: ErrorCode = "HOST_IDENTITY_CONFLICT";
  if (!reason && Object.keys(firstClaims).length > 0) {
    const holder = await holderBeforeWinning(tx, host.id, host.orgId, merged(approved, claim), lock);
    if (holder) {
      reason = holder.reason;
      if (JSON.stringify(row.identityClaim) !== JSON.stringify(claim))
        await auditContested(tx, deps, holder, host.orgId);
    } else if (firstClaims.instanceBlock) {
      reason = await poolShareProblem(tx, deps, host.orgId, host.id, firstClaims.instanceBlock);
      if (reason) code = "INSTANCE_BLOCK_QUOTA_REACHED";
    }
  }
  if (!reason) {
    const identity = merged(approved, claim);
    if (!needsBlock(identity)) return { identity, firstClaims };
    // an agent that came onto the fabric after enrolling (or enrolled without a VEB): its block now
    await lock();
    const assigned = await withAssignedBlock(tx, deps, host, identity);
    if (!("refused" in assigned))
      return { identity: assigned, firstClaims: { ...firstClaims, instanceBlock: assigned.instanceBlock } };
    // no block for it (the pool or the organization's share is full): shown on the host like a refused claim
    ({ refused: reason, code } = assigned);
  }
  if (row.identityProblem !== reason || JSON.stringify(row.identityClaim) !== JSON.stringify(claim)) {
    await tx.host.update({
      where: { id: host.id },
      data: { identityClaim: asJson(claim), identityProblem: reason, identityClaimedAt: deps.clock() },
    });
    await recordAudit(
      tx,
      deps,
      { orgId: host.orgId, actorType: "system", actorId: host.id, actorLabel: `agent on ${host.name}`, sourceIp: null },
      {
        action: "host.identity.refused",
        targetType: "host",
        targetId: host.id,
        before: auditable(approved),
        after: { claim: auditable(claim), reason },
      },
    );
  }
  return { refused: reason, code };
}

export function identityClaimOf(row: {
  identityClaim: unknown;
  identityProblem: string | null;
  identityClaimedAt: Date | null;
}): IdentityClaimDto | null {
  const identity = HostIdentity.safeParse(row.identityClaim);
  if (!row.identityProblem || !row.identityClaimedAt || !identity.success) return null;
  return { identity: identity.data, reason: row.identityProblem, claimedAt: row.identityClaimedAt.toISOString() };
}

export const ApproveHostIdentityInput = z.object({ hostId: z.string().min(1).max(40) });

/**
 * An owner or admin approves a host's refused claim (a re-installed machine: new bridge, new MAC):
 * the claimed facts replace the approved ones, if they are still valid and unique. Audited with
 * before and after; the host's next heartbeat is accepted and the fabric moves its instances.
 */
export async function approveHostIdentity(
  ctx: Ctx,
  input: z.infer<typeof ApproveHostIdentityInput>,
): Promise<{ hostId: string; identity: Identity }> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  if (ROLE_RANK[ctx.actor.role] < ROLE_RANK.admin)
    throw new DomainError("ROLE_TOO_LOW", "only an owner or admin approves a host's identity");
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.host.findFirst({
      where: { id: input.hostId, orgId: ctx.actor.orgId },
      select: {
        id: true,
        name: true,
        identityClaim: true,
        identityProblem: true,
        identityClaimedAt: true,
        ...identitySelect,
      },
    });
    if (!row) throw notFound("host");
    const pending = identityClaimOf(row);
    if (!pending)
      throw new DomainError("NO_IDENTITY_CLAIM", `host ${row.name} has no identity claim waiting for approval`, {
        field: "hostId",
      });
    const approved: Identity = { ...EMPTY, ...Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, row[f]])) };
    const next = merged(approved, pending.identity);
    const valid = HostIdentity.safeParse(next);
    if (!valid.success)
      throw new DomainError(
        "VALIDATION_FAILED",
        `cannot approve: ${valid.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        { field: "hostId" },
      );
    const holder = await holderBeforeWinning(tx, row.id, ctx.actor.orgId, next, () => lockIdentities(tx));
    if (holder)
      throw new DomainError("HOST_IDENTITY_CONFLICT", `cannot approve: ${holder.reason}`, { field: "hostId" });
    const over =
      next.instanceBlock && next.instanceBlock !== approved.instanceBlock
        ? await poolShareProblem(tx, ctx, ctx.actor.orgId, row.id, next.instanceBlock)
        : null;
    if (over) throw new DomainError("INSTANCE_BLOCK_QUOTA_REACHED", `cannot approve: ${over}`, { field: "hostId" });
    await tx.host.update({
      where: { id: row.id },
      data: { ...next, identityClaim: Prisma.DbNull, identityProblem: null, identityClaimedAt: null },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "host.identity.approved",
      targetType: "host",
      targetId: row.id,
      before: auditable(approved),
      after: auditable(next),
    });
    return { hostId: row.id, identity: next };
  });
}

// what the TSC and the fabric read (kept beside the claims' rules, in a file of its own)
export { approvedIdentityOf } from "./approved-identity.ts";
