import { idRef } from "@nvi/contracts";
import { z } from "zod";
import { ROLE_RANK, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import { actorLabel, type CoreDeps, type Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { hashSecret, hostCredentialFormat } from "../tokens/token-format.ts";

/**
 * Host credential rotation, without a window where the host is locked out:
 *
 * 1. A person asks (`rotateHostCredential`): the credential row is marked; nothing changes yet.
 * 2. The agent's next heartbeat, made with the old credential, is answered with a new credential
 *    (`issueRotatedCredential`): only its hash is kept (`pendingHash`); the secret travels once, over
 *    that authenticated call, and is never stored in the clear. A heartbeat whose answer got lost is
 *    simply answered with another new one (the unconfirmed one is replaced and never works).
 * 3. The first call made with the new credential (`authenticateHostCredential`) makes it the host's
 *    credential: the old hash is gone in the same update, so from then on the old one is refused.
 *
 * Audit: `host.credential.rotate` (who asked) and `host.credential.rotated` (the agent confirmed).
 */
export const RotateHostCredentialInput = z.object({ hostId: idRef("host") });

export async function rotateHostCredential(
  ctx: Ctx,
  input: z.infer<typeof RotateHostCredentialInput>,
): Promise<{ hostId: string; rotationRequestedAt: string }> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  // an owner or admin (or their token with clouds:write: the caller never sees the new secret, the agent does)
  if (ROLE_RANK[ctx.actor.role] < ROLE_RANK.admin)
    throw new DomainError("ROLE_TOO_LOW", "only an owner or admin rotates host credentials");
  return ctx.db.$transaction(async (tx) => {
    const host = await tx.host.findFirst({
      where: { id: input.hostId, orgId: ctx.actor.orgId },
      select: { id: true, name: true, credential: { select: { rotationRequestedAt: true } } },
    });
    if (!host) throw notFound("host");
    if (!host.credential)
      throw new DomainError("HOST_CREDENTIAL_INVALID", `host ${host.name} has no credential (removed?)`);
    if (host.credential.rotationRequestedAt)
      return { hostId: host.id, rotationRequestedAt: host.credential.rotationRequestedAt.toISOString() };
    const now = ctx.clock();
    await tx.hostCredential.update({
      where: { hostId: host.id },
      data: { rotationRequestedAt: now, rotationRequestedBy: actorLabel(ctx.actor) },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "host.credential.rotate",
      targetType: "host",
      targetId: host.id,
      after: { host: host.name },
    });
    return { hostId: host.id, rotationRequestedAt: now.toISOString() };
  });
}

/**
 * Finds the host a credential belongs to. The current credential authenticates as always; a pending
 * (rotated) one authenticates once as the confirmation: it becomes the credential, the old one ends.
 * Null: not a credential of any host.
 */
export async function authenticateHostCredential(
  deps: CoreDeps,
  credential: string,
): Promise<{ hostId: string; rotated: boolean } | null> {
  const hash = hashSecret(credential);
  const current = await deps.db.hostCredential.findUnique({ where: { hash }, select: { hostId: true } });
  if (current) return { hostId: current.hostId, rotated: false };
  return deps.db.$transaction(async (tx) => {
    const pending = await tx.hostCredential.findUnique({
      where: { pendingHash: hash },
      include: { host: { select: { orgId: true, name: true } } },
    });
    if (!pending) return null;
    const now = deps.clock();
    await tx.hostCredential.update({
      where: { hostId: pending.hostId },
      data: { hash, pendingHash: null, issuedAt: now, rotationRequestedAt: null, rotationRequestedBy: null },
    });
    await recordAudit(
      tx,
      deps,
      {
        orgId: pending.host.orgId,
        actorType: "system",
        actorId: pending.hostId,
        actorLabel: `agent on ${pending.host.name}`,
        sourceIp: null,
      },
      {
        action: "host.credential.rotated",
        targetType: "host",
        targetId: pending.hostId,
        after: {
          requestedBy: pending.rotationRequestedBy,
          requestedAt: pending.rotationRequestedAt?.toISOString() ?? null,
        },
      },
    );
    return { hostId: pending.hostId, rotated: true };
  });
}

/** Called on a heartbeat made with the current credential: a new credential if a rotation is asked for (its hash kept as pending), else nothing. */
export async function issueRotatedCredential(deps: CoreDeps, hostId: string): Promise<string | undefined> {
  const row = await deps.db.hostCredential.findUnique({ where: { hostId }, select: { rotationRequestedAt: true } });
  if (!row?.rotationRequestedAt) return undefined;
  const credential = hostCredentialFormat.mint();
  const updated = await deps.db.hostCredential.updateMany({
    where: { hostId, rotationRequestedAt: { not: null } },
    data: { pendingHash: hashSecret(credential) },
  });
  return updated.count === 1 ? credential : undefined;
}
