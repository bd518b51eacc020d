import { InvitationDto, Role, idRef, asId } from "@nvi/contracts";
import { isUniqueViolation } from "@nvi/db";
import { z } from "zod";
import { ROLE_RANK, assertPerson, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { randomBase62 } from "../ids.ts";
import { hashSecret } from "../tokens/token-format.ts";

/** Invitation links carry `nvinv_` + 32 base62; only the SHA-256 is stored. */
const INVITE_SECRET = /^nvinv_[0-9A-Za-z]{32}$/;
export const DEFAULT_INVITATION_DAYS = 7;

type InvitationRow = {
  id: string;
  role: Role;
  email: string | null;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
};

function statusOf(row: InvitationRow, now: Date): InvitationDto["status"] {
  if (row.acceptedAt) return "accepted";
  if (row.revokedAt) return "revoked";
  return row.expiresAt <= now ? "expired" : "pending";
}

function toDto(row: InvitationRow, now: Date): InvitationDto {
  return {
    id: asId("invitation", row.id),
    role: row.role,
    email: row.email,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    status: statusOf(row, now),
  };
}

export const CreateInvitationInput = z.object({
  role: Role.default("member"),
  email: z.email().max(254).toLowerCase().optional(),
  expiresInDays: z.number().int().min(1).max(30).default(DEFAULT_INVITATION_DAYS),
});

export const CreatedInvitation = z.object({ invitation: InvitationDto, secret: z.string() });

export async function createInvitation(
  ctx: Ctx,
  input: z.infer<typeof CreateInvitationInput>,
): Promise<z.infer<typeof CreatedInvitation>> {
  assertScope(ctx.actor.scopes, "members", "write");
  assertPerson(ctx.actor, "inviting someone");
  if (ROLE_RANK[input.role] > ROLE_RANK[ctx.actor.role]) {
    throw new DomainError("ROLE_TOO_LOW", `you cannot invite someone as ${input.role}: that is above your own role`, {
      field: "role",
    });
  }
  const secret = `nvinv_${randomBase62(32)}`;
  const now = ctx.clock();
  const row = await ctx.db.$transaction(async (tx) => {
    const created = await tx.invitation.create({
      data: {
        id: ctx.newId("invitation"),
        orgId: ctx.actor.orgId,
        role: input.role,
        email: input.email ?? null,
        createdBy: ctx.actor.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + input.expiresInDays * 86_400_000),
        secret: { create: { hash: hashSecret(secret) } },
      },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "invitation.created",
      targetType: "invitation",
      targetId: created.id,
      after: { role: created.role, email: created.email, expiresAt: created.expiresAt.toISOString() },
    });
    return created;
  });
  return { invitation: toDto(row, now), secret };
}

export async function listInvitations(ctx: Ctx): Promise<InvitationDto[]> {
  assertScope(ctx.actor.scopes, "members", "read");
  const rows = await ctx.db.invitation.findMany({
    where: { orgId: ctx.actor.orgId },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
  const now = ctx.clock();
  return rows.map((r) => toDto(r, now));
}

export const RevokeInvitationInput = z.object({ invitationId: idRef("invitation") });

export async function revokeInvitation(ctx: Ctx, input: z.infer<typeof RevokeInvitationInput>): Promise<InvitationDto> {
  assertScope(ctx.actor.scopes, "members", "write");
  const now = ctx.clock();
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.invitation.findFirst({ where: { id: input.invitationId, orgId: ctx.actor.orgId } });
    if (!row) throw notFound("invitation");
    if (statusOf(row, now) !== "pending") return toDto(row, now);
    const updated = await tx.invitation.update({ where: { id: row.id }, data: { revokedAt: now } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "invitation.revoked",
      targetType: "invitation",
      targetId: row.id,
      before: { role: row.role, email: row.email },
    });
    return toDto(updated, now);
  });
}

async function findBySecret(deps: CoreDeps, secret: string) {
  if (!INVITE_SECRET.test(secret)) throw notFound("invitation");
  const found = await deps.db.invitationSecret.findUnique({
    where: { hash: hashSecret(secret) },
    include: { invitation: { include: { organization: { select: { id: true, name: true } } } } },
  });
  if (!found) throw notFound("invitation");
  return found.invitation;
}

export const InvitationPreview = z.object({
  organizationName: z.string(),
  role: Role,
  email: z.string().nullable(),
  status: InvitationDto.shape.status,
  expiresAt: z.string(),
});

/** What the invitation page shows before the visitor signs in or up. */
export async function previewInvitation(deps: CoreDeps, secret: string): Promise<z.infer<typeof InvitationPreview>> {
  const inv = await findBySecret(deps, secret);
  return {
    organizationName: inv.organization.name,
    role: inv.role,
    email: inv.email,
    status: statusOf(inv, deps.clock()),
    expiresAt: inv.expiresAt.toISOString(),
  };
}

export interface AcceptingUser {
  userId: string;
  email: string;
  sourceIp: string | null;
}

export async function acceptInvitation(
  deps: CoreDeps,
  user: AcceptingUser,
  secret: string,
): Promise<{ orgId: string; role: Role }> {
  const inv = await findBySecret(deps, secret);
  const now = deps.clock();
  const status = statusOf(inv, now);
  if (status !== "pending")
    throw new DomainError("INVITATION_NOT_PENDING", `this invitation is ${status}; ask for a new link`);
  if (inv.email && inv.email.toLowerCase() !== user.email.toLowerCase()) {
    throw new DomainError(
      "INVITATION_EMAIL_MISMATCH",
      `this invitation is for ${inv.email}; sign in with that address`,
    );
  }
  return deps.db.$transaction(async (tx) => {
    const claimed = await tx.invitation.updateMany({
      where: { id: inv.id, acceptedAt: null, revokedAt: null },
      data: { acceptedAt: now, acceptedBy: user.userId },
    });
    if (claimed.count !== 1)
      throw new DomainError("INVITATION_NOT_PENDING", "this invitation was just used or revoked");
    const inviter = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: inv.orgId, userId: inv.createdBy } },
    });
    if (!inviter || ROLE_RANK[inviter.role] < ROLE_RANK[inv.role]) {
      throw new DomainError(
        "INVITATION_NOT_PENDING",
        "the person who invited you can no longer grant this role; ask for a new link",
      );
    }
    const existing = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: inv.orgId, userId: user.userId } },
    });
    if (existing) throw new DomainError("ALREADY_MEMBER", `you are already a member of ${inv.organization.name}`);
    const membership = await tx.membership
      .create({ data: { id: deps.newId("membership"), orgId: inv.orgId, userId: user.userId, role: inv.role } })
      .catch((error: unknown) => {
        if (isUniqueViolation(error))
          throw new DomainError("ALREADY_MEMBER", `you are already a member of ${inv.organization.name}`);
        throw error;
      });
    await recordAudit(
      tx,
      deps,
      { orgId: inv.orgId, actorType: "user", actorId: user.userId, actorLabel: user.email, sourceIp: user.sourceIp },
      {
        action: "member.joined",
        targetType: "member",
        targetId: membership.id,
        after: { email: user.email, role: inv.role, invitationId: inv.id },
      },
    );
    return { orgId: inv.orgId, role: inv.role };
  });
}
