import { ApiTokenDto, Role, Scope, idRef, asId } from "@nvi/contracts";
import { z } from "zod";
import { ROLE_RANK, assertPerson, assertScope, effectiveTokenScopes, normaliseScopes } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Actor, CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import type { TokenLookup } from "./token-cache.ts";
import { checkTokenShape, displayPrefix, hashSecret, mintTokenSecret } from "./token-format.ts";

/** `lastUsedAt` is written at most this often per token, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

type TokenRow = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdBy: string;
};

function statusOf(row: TokenRow, now: Date): ApiTokenDto["status"] {
  if (row.revokedAt) return "revoked";
  return row.expiresAt && row.expiresAt <= now ? "expired" : "active";
}

function toDto(row: TokenRow & { creatorEmail: string }, now: Date): ApiTokenDto {
  return {
    id: asId("apiToken", row.id),
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.map((s) => Scope.parse(s)),
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdBy: row.creatorEmail,
    status: statusOf(row, now),
  };
}

export const CreateApiTokenInput = z.object({
  name: z.string().trim().min(1).max(80),
  scopes: z.array(Scope).min(1, "pick at least one scope").max(32),
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
});

export const CreatedApiToken = z.object({ token: ApiTokenDto, secret: z.string() });

export async function createApiToken(
  ctx: Ctx,
  input: z.infer<typeof CreateApiTokenInput>,
): Promise<z.infer<typeof CreatedApiToken>> {
  assertScope(ctx.actor.scopes, "tokens", "write");
  assertPerson(ctx.actor, "creating an API token");
  const scopes = normaliseScopes(input.scopes);
  const beyond = scopes.filter((s) => !ctx.actor.scopes.has(s));
  if (beyond.length > 0) {
    throw new DomainError("MISSING_SCOPE", `you cannot grant scopes you do not hold: ${beyond.join(", ")}`, {
      field: "scopes",
      missing: beyond,
    });
  }
  const secret = mintTokenSecret();
  const now = ctx.clock();
  const row = await ctx.db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: {
        id: ctx.newId("apiToken"),
        orgId: ctx.actor.orgId,
        name: input.name,
        prefix: displayPrefix(secret),
        scopes,
        createdBy: ctx.actor.userId,
        createdAt: now,
        expiresAt: input.expiresInDays === null ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000),
        secret: { create: { hash: hashSecret(secret) } },
      },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "token.created",
      targetType: "token",
      targetId: created.id,
      after: {
        name: created.name,
        prefix: created.prefix,
        scopes,
        expiresAt: created.expiresAt?.toISOString() ?? null,
      },
    });
    return created;
  });
  return { token: toDto({ ...row, creatorEmail: ctx.actor.email }, now), secret };
}

async function creatorEmails(ctx: Ctx, ids: string[]): Promise<Map<string, string>> {
  const users = await ctx.db.user.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, email: true },
  });
  return new Map(users.map((u) => [u.id, u.email]));
}

export async function listApiTokens(ctx: Ctx): Promise<ApiTokenDto[]> {
  assertScope(ctx.actor.scopes, "tokens", "read");
  const rows = await ctx.db.apiToken.findMany({
    where: { orgId: ctx.actor.orgId },
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  const emails = await creatorEmails(
    ctx,
    rows.map((r) => r.createdBy),
  );
  const now = ctx.clock();
  return rows.map((r) => toDto({ ...r, creatorEmail: emails.get(r.createdBy) ?? "(former member)" }, now));
}

export const RevokeApiTokenInput = z.object({ tokenId: idRef("apiToken") });

/** Members revoke their own tokens; owners and admins revoke any in the organization. */
export async function revokeApiToken(ctx: Ctx, input: z.infer<typeof RevokeApiTokenInput>): Promise<ApiTokenDto> {
  assertScope(ctx.actor.scopes, "tokens", "write");
  const now = ctx.clock();
  const row = await ctx.db.$transaction(async (tx) => {
    const token = await tx.apiToken.findFirst({ where: { id: input.tokenId, orgId: ctx.actor.orgId } });
    if (!token) throw notFound("token");
    if (token.createdBy !== ctx.actor.userId && ROLE_RANK[ctx.actor.role] < ROLE_RANK.admin) {
      throw new DomainError("ROLE_TOO_LOW", "only owners and admins revoke other members' tokens");
    }
    if (token.revokedAt) return token;
    const updated = await tx.apiToken.update({ where: { id: token.id }, data: { revokedAt: now } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "token.revoked",
      targetType: "token",
      targetId: token.id,
      before: { name: token.name, prefix: token.prefix, scopes: token.scopes },
    });
    return updated;
  });
  // refused from the next request on in this process; other processes drop it as Postgres tells them
  ctx.tokenCache?.invalidate();
  const emails = await creatorEmails(ctx, [row.createdBy]);
  return toDto({ ...row, creatorEmail: emails.get(row.createdBy) ?? "(former member)" }, now);
}

/** The token, its creator's membership of its organization and their name: one round trip. */
async function lookUpToken(deps: CoreDeps, hash: string): Promise<TokenLookup | undefined> {
  const [token] = await deps.db.$queryRaw<TokenLookup[]>`
    SELECT t.id, t.org_id AS "orgId", t.name, t.scopes, t.created_by AS "createdBy", t.last_used_at AS "lastUsedAt",
      t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt", m.role::text AS role, u.email, u.name AS "userName"
    FROM api_token_secrets s
    JOIN api_tokens t ON t.id = s.token_id
    LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.created_by
    LEFT JOIN users u ON u.id = m.user_id
    WHERE s.hash = ${hash}`;
  return token;
}

/**
 * Turns a bearer secret into an actor. A malformed secret is refused before any
 * database access; a revoked, expired or orphaned token (its creator left the
 * organization) is refused with a reason.
 */
export async function authenticateApiToken(deps: CoreDeps, secret: string, sourceIp: string | null): Promise<Actor> {
  if (checkTokenShape(secret) !== null) {
    throw new DomainError(
      "TOKEN_MALFORMED",
      "the API token is malformed (expected nvi_ followed by 36 letters and digits)",
    );
  }
  const hash = hashSecret(secret);
  const now = deps.clock();
  const cached = deps.tokenCache?.get(hash, now.getTime());
  const begun = deps.tokenCache?.begin() ?? 0;
  const token = cached ?? (await lookUpToken(deps, hash));
  if (!token) throw new DomainError("TOKEN_UNKNOWN", "the API token is not valid");
  if (token.revokedAt) throw new DomainError("TOKEN_REVOKED", "the API token was revoked");
  if (token.expiresAt && token.expiresAt <= now) throw new DomainError("TOKEN_EXPIRED", "the API token has expired");
  if (token.role === null || token.email === null)
    throw new DomainError("TOKEN_REVOKED", "the API token's creator is no longer a member");
  const role = Role.parse(token.role);
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // updateMany: a token deleted meanwhile is simply not found (the request still fails as unknown next time), never a 500
    await deps.db.apiToken.updateMany({ where: { id: token.id }, data: { lastUsedAt: now } });
    token.lastUsedAt = now;
  }
  // only a token that passed every check is kept (a cached one is the same object: its lastUsedAt moved with it)
  if (!cached) deps.tokenCache?.put(hash, token, begun, now.getTime());
  return {
    kind: "token",
    userId: token.createdBy,
    email: token.email,
    name: token.userName ?? "",
    orgId: token.orgId,
    role,
    scopes: effectiveTokenScopes(
      token.scopes.map((s) => Scope.parse(s)),
      role,
    ),
    tokenId: token.id,
    tokenName: token.name,
    sourceIp,
  };
}
