import { MemberDto, Role, idRef, asId } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import { ROLE_RANK, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";

function toDto(m: {
  id: string;
  userId: string;
  role: Role;
  createdAt: Date;
  user: { email: string; name: string };
}): MemberDto {
  return {
    id: asId("membership", m.id),
    userId: asId("user", m.userId),
    email: m.user.email,
    name: m.user.name,
    role: m.role,
    joinedAt: m.createdAt.toISOString(),
  };
}

export async function listMembers(ctx: Ctx): Promise<MemberDto[]> {
  assertScope(ctx.actor.scopes, "members", "read");
  const rows = await ctx.db.membership.findMany({
    where: { orgId: ctx.actor.orgId },
    include: { user: { select: { email: true, name: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(toDto);
}

/** Only owners may make, unmake or remove owners; an organization keeps at least one. */
export function assertMayManage(actorRole: Role, targetRole: Role, newRole: Role | null): void {
  const touchesOwner = targetRole === "owner" || newRole === "owner";
  if (touchesOwner && actorRole !== "owner") {
    throw new DomainError("ROLE_TOO_LOW", "only an owner can grant, change or remove the owner role");
  }
  if (ROLE_RANK[actorRole] < ROLE_RANK.admin) {
    throw new DomainError("ROLE_TOO_LOW", "only owners and admins manage members");
  }
}

/**
 * Membership changes of one organization run one at a time, and judge the caller by
 * their role as it is now (not as it was when the request started): two owners
 * demoting each other at once cannot leave the organization without an owner.
 */
async function lockAndReloadCaller(tx: DbTx, ctx: Ctx): Promise<Role> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`members:${ctx.actor.orgId}`}))`;
  const me = await tx.membership.findUnique({
    where: { orgId_userId: { orgId: ctx.actor.orgId, userId: ctx.actor.userId } },
  });
  if (!me) throw new DomainError("UNAUTHENTICATED", "you are no longer a member of this organization");
  return me.role;
}

async function loadTarget(tx: DbTx, ctx: Ctx, membershipId: string) {
  const target = await tx.membership.findFirst({
    where: { id: membershipId, orgId: ctx.actor.orgId },
    include: { user: { select: { email: true, name: true } } },
  });
  if (!target) throw notFound("member");
  return target;
}

async function assertNotLastOwner(tx: DbTx, orgId: string, target: { role: Role }) {
  if (target.role !== "owner") return;
  const owners = await tx.membership.count({ where: { orgId, role: "owner" } });
  if (owners <= 1)
    throw new DomainError("LAST_OWNER", "an organization needs at least one owner: make someone else owner first");
}

export const SetMemberRoleInput = z.object({ membershipId: idRef("membership"), role: Role });

export async function setMemberRole(ctx: Ctx, input: z.infer<typeof SetMemberRoleInput>): Promise<MemberDto> {
  assertScope(ctx.actor.scopes, "members", "write");
  const changed = await ctx.db.$transaction(async (tx) => {
    const callerRole = await lockAndReloadCaller(tx, ctx);
    const target = await loadTarget(tx, ctx, input.membershipId);
    assertMayManage(callerRole, target.role, input.role);
    if (target.role === input.role) return toDto(target);
    if (input.role !== "owner") await assertNotLastOwner(tx, ctx.actor.orgId, target);
    const updated = await tx.membership.update({
      where: { id: target.id },
      data: { role: input.role },
      include: { user: { select: { email: true, name: true } } },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "member.role_changed",
      targetType: "member",
      targetId: target.id,
      before: { email: target.user.email, role: target.role },
      after: { email: target.user.email, role: input.role },
    });
    return toDto(updated);
  });
  // their tokens' scopes follow the role: this process forgets them now, others when Postgres tells them
  ctx.tokenCache?.invalidate();
  return changed;
}

export const RemoveMemberInput = z.object({ membershipId: idRef("membership") });

export async function removeMember(ctx: Ctx, input: z.infer<typeof RemoveMemberInput>): Promise<{ removed: true }> {
  assertScope(ctx.actor.scopes, "members", "write");
  await ctx.db.$transaction(async (tx) => {
    const callerRole = await lockAndReloadCaller(tx, ctx);
    const target = await loadTarget(tx, ctx, input.membershipId);
    assertMayManage(callerRole, target.role, null);
    await assertNotLastOwner(tx, ctx.actor.orgId, target);
    await tx.membership.delete({ where: { id: target.id } });
    // What they minted here stops working with them (and stays dead if they are invited back).
    const now = ctx.clock();
    const owned = { orgId: ctx.actor.orgId, createdBy: target.userId };
    await tx.apiToken.updateMany({ where: { ...owned, revokedAt: null }, data: { revokedAt: now } });
    await tx.joinToken.updateMany({ where: { ...owned, revokedAt: null }, data: { revokedAt: now } });
    await tx.invitation.updateMany({
      where: { ...owned, revokedAt: null, acceptedAt: null },
      data: { revokedAt: now },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "member.removed",
      targetType: "member",
      targetId: target.id,
      before: { email: target.user.email, role: target.role },
    });
  });
  ctx.tokenCache?.invalidate();
  return { removed: true };
}
