import { JoinTokenDto, idRef, asId } from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { hashSecret, joinTokenFormat } from "../tokens/token-format.ts";
import { findOwnCloud } from "./clouds.ts";

export const CreateJoinTokenInput = z
  .object({
    cloudId: idRef("cloud"),
    reusable: z.boolean().default(false),
    usageLimit: z.number().int().min(1).max(10_000).nullable().default(null),
    expiresInHours: z.number().int().min(1).max(720).default(24),
  })
  .refine((v) => v.reusable || v.usageLimit === null || v.usageLimit === 1, {
    message: "a one-off token is used once; set reusable to give it a usage limit",
    path: ["usageLimit"],
  });

type JoinTokenRow = {
  id: string;
  cloudId: string;
  prefix: string;
  reusable: boolean;
  usageLimit: number | null;
  uses: number;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
};

/** A one-off token has a limit of 1; a reusable one its own limit, or none. */
export function effectiveLimit(row: Pick<JoinTokenRow, "reusable" | "usageLimit">): number | null {
  return row.reusable ? row.usageLimit : 1;
}

export function joinTokenStatus(row: JoinTokenRow, now: Date): JoinTokenDto["status"] {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt <= now) return "expired";
  const limit = effectiveLimit(row);
  return limit !== null && row.uses >= limit ? "used" : "active";
}

function toDto(row: JoinTokenRow, now: Date): JoinTokenDto {
  return {
    id: asId("joinToken", row.id),
    cloudId: asId("cloud", row.cloudId),
    prefix: row.prefix,
    reusable: row.reusable,
    usageLimit: effectiveLimit(row),
    uses: row.uses,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    status: joinTokenStatus(row, now),
  };
}

/** One copy-paste string for the agent: the secret and the console's address. */
export function joinString(secret: string, publicUrl: string): string {
  return `${secret}@${publicUrl.replace(/\/+$/, "")}`;
}

export function parseJoinString(value: string): { secret: string; url: string | null } {
  const at = value.indexOf("@");
  return at < 0
    ? { secret: value.trim(), url: null }
    : { secret: value.slice(0, at).trim(), url: value.slice(at + 1).trim() };
}

export const CreatedJoinToken = z.object({ joinToken: JoinTokenDto, joinString: z.string() });

export async function createJoinToken(
  ctx: Ctx,
  input: z.infer<typeof CreateJoinTokenInput>,
  publicUrl: string,
): Promise<z.infer<typeof CreatedJoinToken>> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  const cloud = await findOwnCloud(ctx, input.cloudId);
  const secret = joinTokenFormat.mint();
  const now = ctx.clock();
  const row = await ctx.db.$transaction(async (tx) => {
    const created = await tx.joinToken.create({
      data: {
        id: ctx.newId("joinToken"),
        orgId: ctx.actor.orgId,
        cloudId: cloud.id,
        prefix: joinTokenFormat.display(secret),
        reusable: input.reusable,
        usageLimit: input.reusable ? input.usageLimit : 1,
        createdBy: ctx.actor.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + input.expiresInHours * 3_600_000),
        secret: { create: { hash: hashSecret(secret) } },
      },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "join_token.created",
      targetType: "join_token",
      targetId: created.id,
      after: {
        cloud: cloud.name,
        prefix: created.prefix,
        reusable: created.reusable,
        usageLimit: created.usageLimit,
        expiresAt: created.expiresAt.toISOString(),
      },
    });
    return created;
  });
  return { joinToken: toDto(row, now), joinString: joinString(secret, publicUrl) };
}

export async function listJoinTokens(ctx: Ctx, input: { cloudId: string }): Promise<JoinTokenDto[]> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  await findOwnCloud(ctx, input.cloudId);
  const rows = await ctx.db.joinToken.findMany({
    where: { orgId: ctx.actor.orgId, cloudId: input.cloudId },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
  const now = ctx.clock();
  return rows.map((r) => toDto(r, now));
}

export const RevokeJoinTokenInput = z.object({ joinTokenId: idRef("joinToken") });

export async function revokeJoinToken(ctx: Ctx, input: z.infer<typeof RevokeJoinTokenInput>): Promise<JoinTokenDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  const now = ctx.clock();
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.joinToken.findFirst({ where: { id: input.joinTokenId, orgId: ctx.actor.orgId } });
    if (!row) throw notFound("join token");
    if (row.revokedAt) return toDto(row, now);
    const updated = await tx.joinToken.update({ where: { id: row.id }, data: { revokedAt: now } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "join_token.revoked",
      targetType: "join_token",
      targetId: row.id,
      before: { prefix: row.prefix },
    });
    return toDto(updated, now);
  });
}

export function invalidJoinToken(why: string): DomainError {
  return new DomainError(
    "JOIN_TOKEN_INVALID",
    `the join token ${why}; create a new one in the console (Clouds → Add host)`,
  );
}
