import { OrganizationDto, Role, type Scope, asId } from "@nvi/contracts";
import { z } from "zod";
import { ROLE_SCOPES, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Actor, CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { randomBase62 } from "../ids.ts";

export interface NewUser {
  id: string;
  email: string;
  name: string;
}

function slugFor(name: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "org";
  return `${base}-${randomBase62(6).toLowerCase()}`;
}

/**
 * Every user belongs to at least one organization: sign-up creates their own, as
 * owner. Idempotent and safe under concurrency (an advisory lock per user), so the
 * sign-up hook and the first request can both call it.
 */
export async function ensurePersonalOrganization(
  deps: CoreDeps,
  user: NewUser,
  sourceIp: string | null,
): Promise<string> {
  return deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${user.id}))`;
    const existing = await tx.membership.findFirst({ where: { userId: user.id }, orderBy: { createdAt: "asc" } });
    if (existing) return existing.orgId;
    const name = `${user.name.trim() || user.email.split("@")[0]}'s organization`;
    const org = await tx.organization.create({
      data: { id: deps.newId("organization"), name, slug: slugFor(user.name || user.email) },
    });
    await tx.membership.create({
      data: { id: deps.newId("membership"), orgId: org.id, userId: user.id, role: "owner" },
    });
    await recordAudit(
      tx,
      deps,
      { orgId: org.id, actorType: "user", actorId: user.id, actorLabel: user.email, sourceIp },
      {
        action: "organization.created",
        targetType: "organization",
        targetId: org.id,
        after: { name, ownerEmail: user.email },
      },
    );
    return org.id;
  });
}

export interface UserActorRequest {
  userId: string;
  /** The organization the console has selected (a cookie); ignored unless the user is a member. */
  preferredOrgId: string | null;
  sourceIp: string | null;
}

/** Builds the actor for a signed-in user, in the selected organization or their first. */
export async function resolveUserActor(deps: CoreDeps, request: UserActorRequest): Promise<Actor> {
  const user = await deps.db.user.findUnique({
    where: { id: request.userId },
    select: { id: true, email: true, name: true },
  });
  if (!user) throw new DomainError("UNAUTHENTICATED", "your session has ended, sign in again");
  const find = () =>
    deps.db.membership.findMany({
      where: { userId: user.id },
      orderBy: { createdAt: "asc" },
      select: { orgId: true, role: true },
    });
  let memberships = await find();
  if (memberships.length === 0) {
    await ensurePersonalOrganization(deps, user, request.sourceIp);
    memberships = await find();
  }
  const chosen = memberships.find((m) => m.orgId === request.preferredOrgId) ?? memberships[0]!;
  return {
    kind: "user",
    userId: user.id,
    email: user.email,
    name: user.name,
    orgId: chosen.orgId,
    role: chosen.role,
    scopes: new Set<Scope>(ROLE_SCOPES[chosen.role]),
    tokenId: null,
    tokenName: null,
    sourceIp: request.sourceIp,
  };
}

/** The organizations the caller can switch between (a token sees only its own). */
export async function listMyOrganizations(ctx: Ctx): Promise<OrganizationDto[]> {
  const memberships = await ctx.db.membership.findMany({
    where: { userId: ctx.actor.userId, ...(ctx.actor.kind === "token" ? { orgId: ctx.actor.orgId } : {}) },
    include: { organization: true },
    orderBy: { createdAt: "asc" },
  });
  return memberships.map((m) => ({
    id: asId("organization", m.organization.id),
    name: m.organization.name,
    slug: m.organization.slug,
    role: Role.parse(m.role),
    createdAt: m.organization.createdAt.toISOString(),
  }));
}

export async function getCurrentOrganization(ctx: Ctx): Promise<OrganizationDto> {
  const org = await ctx.db.organization.findUnique({ where: { id: ctx.actor.orgId } });
  if (!org) throw notFound("organization");
  return {
    id: asId("organization", org.id),
    name: org.name,
    slug: org.slug,
    role: ctx.actor.role,
    createdAt: org.createdAt.toISOString(),
  };
}

export const RenameOrganizationInput = z.object({ name: z.string().trim().min(2).max(80) });

export async function renameOrganization(
  ctx: Ctx,
  input: z.infer<typeof RenameOrganizationInput>,
): Promise<OrganizationDto> {
  assertScope(ctx.actor.scopes, "members", "write");
  await ctx.db.$transaction(async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: ctx.actor.orgId } });
    await tx.organization.update({ where: { id: before.id }, data: { name: input.name } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "organization.renamed",
      targetType: "organization",
      targetId: before.id,
      before: { name: before.name },
      after: { name: input.name },
    });
  });
  return getCurrentOrganization(ctx);
}
