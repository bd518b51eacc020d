import {
  EnrollResponse,
  HOST_IDENTITY_FIELDS,
  HostDto,
  HostFacts,
  type HeartbeatResponse,
  type HostStatus,
  idRef,
  asId,
} from "@nvi/contracts";
import { Prisma, isUniqueViolation } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { announceLinkChange } from "./link-reports.ts";
import { DomainError, notFound } from "../errors.ts";
import { hashSecret, hostCredentialFormat, joinTokenFormat } from "../tokens/token-format.ts";
import { certificateWanted, issueHostCertificate, recordHostCertificate, signHostCertificate } from "./fabric-ca.ts";
import { HOST_REMOVED_CHANNEL } from "./switch-admission.ts";
import { assertNotLastGatewayOfASpan, gatewayRoleOf } from "./gateways.ts";
import { authenticateHostCredential, issueRotatedCredential } from "./host-credentials.ts";
import {
  approveFirstClaim,
  auditable,
  checkHeartbeatClaim,
  identityClaimOf,
  identityConflict,
  type Identity,
} from "./host-identity.ts";
import { assertHostQuota } from "./org-limits.ts";
import { spendHostCall, takesIdentityLock } from "./host-call-budget.ts";
import { effectiveLimit, invalidJoinToken, joinTokenStatus, parseJoinString } from "./join-tokens.ts";

export const HEARTBEAT_SECONDS = 10;
/** Online while heartbeats arrive; stale after a few missed; offline after two minutes. */
export const STALE_AFTER_MS = 3 * HEARTBEAT_SECONDS * 1000;
export const OFFLINE_AFTER_MS = 120_000;

export function hostStatus(lastSeenAt: Date, now: Date): HostStatus {
  const age = now.getTime() - lastSeenAt.getTime();
  return age <= STALE_AFTER_MS ? "online" : age <= OFFLINE_AFTER_MS ? "stale" : "offline";
}

type HostRow = {
  id: string;
  cloudId: string;
  name: string;
  facts: unknown;
  enrolledAt: Date;
  lastSeenAt: Date;
  credential: { issuedAt: Date; rotationRequestedAt: Date | null } | null;
  identityClaim: unknown;
  identityProblem: string | null;
  identityClaimedAt: Date | null;
  fabricProblem: string | null;
  gatewayPublicAddress: string | null;
} & Identity;

/**
 * Facts as stored. A row written before facts were validated strictly may hold identity facts that
 * no longer parse: those read as null (the approved identity is what counts) instead of failing.
 */
export function storedFacts(json: unknown): HostFacts {
  const strict = HostFacts.safeParse(json);
  if (strict.success) return strict.data;
  const loose = typeof json === "object" && json !== null ? { ...(json as Record<string, unknown>) } : {};
  for (const f of HOST_IDENTITY_FIELDS) loose[f] = null;
  const again = HostFacts.safeParse(loose);
  return again.success
    ? again.data
    : HostFacts.parse({
        hostname: "unreadable",
        kernel: "",
        cpus: 1,
        memoryMiB: 1,
        ovsVersion: null,
        runtimes: { docker: false, qemu: false, netns: false },
      });
}

export function hostDto(row: HostRow, now: Date): HostDto {
  return {
    id: asId("host", row.id),
    cloudId: asId("cloud", row.cloudId),
    name: row.name,
    status: hostStatus(row.lastSeenAt, now),
    facts: storedFacts(row.facts),
    enrolledAt: row.enrolledAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    credentialIssuedAt: row.credential?.issuedAt.toISOString() ?? null,
    credentialRotationRequestedAt: row.credential?.rotationRequestedAt?.toISOString() ?? null,
    identity: {
      datapathId: row.datapathId,
      fabricAddress: row.fabricAddress,
      fabricPrefixLen: row.fabricPrefixLen,
      fabricMac: row.fabricMac,
      nextHopMac: row.nextHopMac,
      instanceBlock: row.instanceBlock,
      wireguardPublicKey: row.wireguardPublicKey,
    },
    identityClaim: identityClaimOf(row),
    fabricProblem: row.fabricProblem,
    gatewayPublicAddress: row.gatewayPublicAddress,
  };
}

function factColumns(facts: HostFacts) {
  return { facts: facts as unknown as Prisma.InputJsonValue, ovsVersion: facts.ovsVersion };
}

/**
 * An agent trades a join token for a host identity and its own credential. The
 * token's use is counted in the same transaction as the host is created, so a
 * one-off token enrolls exactly one host even when two agents race.
 */
export async function enrollHost(
  deps: CoreDeps,
  request: { joinToken: string; facts: HostFacts; csr?: string | undefined },
  sourceIp: string | null,
): Promise<EnrollResponse> {
  const { secret } = parseJoinString(request.joinToken);
  if (joinTokenFormat.check(secret) !== null) throw invalidJoinToken("is malformed");
  const found = await deps.db.joinTokenSecret.findUnique({
    where: { hash: hashSecret(secret) },
    include: { joinToken: { include: { cloud: true } } },
  });
  if (!found) throw invalidJoinToken("is not known");
  const token = found.joinToken;
  const now = deps.clock();
  const status = joinTokenStatus(token, now);
  if (status !== "active") throw invalidJoinToken(`is ${status}`);
  const credential = hostCredentialFormat.mint();
  // the switch certificate is signed before anything is written: a bad CSR enrolls nothing
  const hostId = deps.newId("host");
  const signed = request.csr
    ? await signHostCertificate(deps, { id: hostId, datapathId: request.facts.datapathId }, request.csr)
    : null;
  try {
    return await deps.db.$transaction(async (tx) => {
      const limit = effectiveLimit(token);
      const claimed = await tx.joinToken.updateMany({
        where: { id: token.id, revokedAt: null, ...(limit === null ? {} : { uses: { lt: limit } }) },
        data: { uses: { increment: 1 } },
      });
      if (claimed.count !== 1) throw invalidJoinToken("was just used up");
      await assertHostQuota(tx, deps, token.orgId);
      const identity = await approveFirstClaim(tx, deps, token.orgId, request.facts);
      const host = await tx.host.create({
        data: {
          id: hostId,
          orgId: token.orgId,
          cloudId: token.cloudId,
          name: request.facts.hostname,
          joinTokenId: token.id,
          enrolledAt: now,
          lastSeenAt: now,
          ...factColumns(request.facts),
          ...identity,
          credential: { create: { hash: hashSecret(credential), issuedAt: now } },
        },
      });
      await recordAudit(
        tx,
        deps,
        { orgId: token.orgId, actorType: "system", actorId: host.id, actorLabel: `agent on ${host.name}`, sourceIp },
        {
          action: "host.enrolled",
          targetType: "host",
          targetId: host.id,
          after: { cloud: token.cloud.name, joinToken: token.prefix, facts: auditable(request.facts) },
        },
      );
      if (signed) await recordHostCertificate(tx, host.id, signed);
      return {
        hostId: host.id,
        orgId: host.orgId,
        cloudId: host.cloudId,
        credential,
        heartbeatSeconds: HEARTBEAT_SECONDS,
        instanceBlock: host.instanceBlock,
        ...(signed ? { certificate: signed.certificate } : {}),
      };
    });
  } catch (error) {
    if (error instanceof DomainError && AUDITED_REFUSALS.has(error.code)) {
      // the transaction rolled back (no host, the token not used): the refusal is audited on its own
      await recordAudit(
        deps.db,
        deps,
        {
          orgId: token.orgId,
          actorType: "system",
          actorId: null,
          actorLabel: `agent on ${request.facts.hostname}`,
          sourceIp,
        },
        {
          action: error.code === "HOST_IDENTITY_CONFLICT" ? "host.identity.refused" : "host.enrollment.refused",
          targetType: "join_token",
          targetId: token.id,
          after: { hostname: request.facts.hostname, claim: auditable(request.facts), reason: error.message },
        },
      );
      throw error;
    }
    if (isUniqueViolation(error) && !isIdentityIndex(error)) {
      throw new DomainError(
        "HOST_ALREADY_ENROLLED",
        `a host named "${request.facts.hostname}" is already in cloud "${token.cloud.name}"; remove it in the console first`,
      );
    }
    if (isUniqueViolation(error))
      throw identityConflict("a fact is approved for another host (claimed at the same moment)");
    throw error;
  }
}

/** Enrollment refusals the organization's audit log shows (a forged or runaway enrollment is seen by its owners). */
const AUDITED_REFUSALS = new Set<string>([
  "HOST_IDENTITY_CONFLICT",
  "HOST_QUOTA_REACHED",
  "INSTANCE_BLOCK_QUOTA_REACHED",
  "INSTANCE_POOL_FULL",
]);

/** A unique violation on an identity column (the second guard behind the identity lock), not on the host's name. */
function isIdentityIndex(error: unknown): boolean {
  return /datapath|fabric|instance_block|instanceBlock|wireguard/i.test(
    JSON.stringify((error as { meta?: unknown }).meta ?? null),
  );
}

export interface AuthenticatedHost {
  id: string;
  orgId: string;
  cloudId: string;
  name: string;
}

export async function authenticateHost(deps: CoreDeps, credential: string): Promise<AuthenticatedHost> {
  if (hostCredentialFormat.check(credential) !== null) {
    throw new DomainError("HOST_CREDENTIAL_INVALID", "the host credential is malformed");
  }
  const found = await authenticateHostCredential(deps, credential);
  const host =
    found &&
    (await deps.db.host.findUnique({
      where: { id: found.hostId },
      select: { id: true, orgId: true, cloudId: true, name: true },
    }));
  if (!host)
    throw new DomainError(
      "HOST_CREDENTIAL_INVALID",
      "the host credential is not valid (was the host removed, or its credential rotated?); enroll again with a new join token",
    );
  return host;
}

/**
 * A heartbeat: fresh facts, a new credential when a rotation is asked for (see host-credentials.ts),
 * and the switch certificate: a CSR is signed for the approved datapath id (replacing the previous
 * certificate), else the agent is told when the console wants one (see fabric-ca.ts).
 * Identity facts are claims (host-identity.ts): first claims are approved when unique; a claim that
 * changes an approved fact or conflicts with another host is refused (409), kept on the host and
 * audited, and nothing of this heartbeat is recorded.
 */
export async function recordHeartbeat(
  deps: CoreDeps,
  host: AuthenticatedHost,
  facts: HostFacts,
  csr?: string,
): Promise<z.infer<typeof HeartbeatResponse>> {
  // a claim that takes the console-wide identity lock is paid for first (host-call-budget.ts)
  const lockPaid = await takesIdentityLock(deps, host.id, facts);
  if (lockPaid) await spendHostCall(deps, host.id, "claim");
  const verdict = await deps.db.$transaction(async (tx) => {
    const claim = await checkHeartbeatClaim(tx, deps, host, facts, { lockPaid });
    if ("refused" in claim) return claim;
    const cleared = { identityClaim: Prisma.DbNull, identityProblem: null, identityClaimedAt: null };
    // a gateway link that went down or came back reaches the TSC as this commits (link-reports.ts)
    await announceLinkChange(tx, host, facts);
    await tx.host.update({
      where: { id: host.id },
      data: { lastSeenAt: deps.clock(), ...factColumns(facts), ...claim.identity, ...cleared },
    });
    if (Object.keys(claim.firstClaims).length > 0) {
      await recordAudit(
        tx,
        deps,
        {
          orgId: host.orgId,
          actorType: "system",
          actorId: host.id,
          actorLabel: `agent on ${host.name}`,
          sourceIp: null,
        },
        { action: "host.identity.claimed", targetType: "host", targetId: host.id, after: auditable(claim.firstClaims) },
      );
    }
    return claim;
  });
  if ("refused" in verdict)
    throw verdict.code === "HOST_IDENTITY_CONFLICT"
      ? identityConflict(verdict.refused)
      : new DomainError(verdict.code, verdict.refused, { field: "facts" });
  const newCredential = await issueRotatedCredential(deps, host.id);
  const switchHost = { id: host.id, datapathId: verdict.identity.datapathId };
  const certificate = csr ? await issueHostCertificate(deps, switchHost, csr) : undefined;
  const wanted = !certificate && (newCredential !== undefined || (await certificateWanted(deps, switchHost)));
  const role = await gatewayRoleOf(deps, host.id);
  return {
    hostId: host.id,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    instanceBlock: verdict.identity.instanceBlock,
    ...(newCredential ? { newCredential } : {}),
    ...(certificate ? { certificate } : {}),
    ...(wanted ? { certificateWanted: true } : {}),
    gateway: role.gateway,
    crossCloud: role.crossCloud,
  };
}

export const ListHostsInput = z.object({ cloudId: idRef("cloud").optional() });

export async function listHosts(ctx: Ctx, input: z.infer<typeof ListHostsInput>): Promise<HostDto[]> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const rows = await ctx.db.host.findMany({
    where: { orgId: ctx.actor.orgId, ...(input.cloudId ? { cloudId: input.cloudId } : {}) },
    orderBy: { enrolledAt: "asc" },
    include: { credential: { select: { issuedAt: true, rotationRequestedAt: true } } },
    take: 1000,
  });
  const now = ctx.clock();
  return rows.map((r) => hostDto(r, now));
}

export const HostRef = z.object({ hostId: idRef("host") });

/** Removes a host and its credential: its agent is refused from the next heartbeat on. */
export async function removeHost(ctx: Ctx, input: z.infer<typeof HostRef>): Promise<{ removed: true }> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.host.findFirst({
      where: { id: input.hostId, orgId: ctx.actor.orgId },
      include: { cloud: { select: { name: true, interconnect: true } } },
    });
    if (!row) throw notFound("host");
    // removing a gateway host removes its gateway: not the last one of a cloud a VPC spans from
    if (row.gatewayPublicAddress !== null && row.cloud.interconnect === "gateway")
      await assertNotLastGatewayOfASpan(tx, ctx.actor.orgId, row);
    // drain first: a host still holding instances is not removed behind their back
    const live = await tx.instance.findMany({
      where: { hostId: row.id, status: { not: "terminated" } },
      select: { name: true },
      take: 6,
    });
    if (live.length > 0) {
      const names = live
        .slice(0, 5)
        .map((i) => i.name)
        .join(", ");
      throw new DomainError(
        "HOST_NOT_EMPTY",
        `host ${row.name} still has instances (${names}${live.length > 5 ? ", …" : ""}); terminate or move them first`,
        { field: "hostId" },
      );
    }
    await tx.instance.deleteMany({ where: { hostId: row.id, status: "terminated" } });
    await tx.host.delete({ where: { id: row.id } });
    // on commit, the worker drops the host's OpenFlow session (and its certificate is refused: the row is gone)
    await tx.$executeRaw`SELECT pg_notify(${HOST_REMOVED_CHANNEL}, ${row.id})`;
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "host.removed",
      targetType: "host",
      targetId: row.id,
      before: { name: row.name, cloudId: row.cloudId },
    });
  });
  return { removed: true };
}
