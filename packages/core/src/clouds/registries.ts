import { CloudRegistryDto, RegistryPassword, RegistryUsername, idRef, registryServerOf } from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { openSecret, sealSecret } from "../secrets/sealed.ts";
import { findOwnCloud } from "./clouds.ts";

/**
 * The registry a cloud's hosts may pull container images from (issue 17, item 6). Its password
 * (or token) is sealed (secrets/sealed.ts) in the cloud's own registry row, never returned once set
 * (the console says "set" or "not set") and never written to the audit log. A change of server
 * forgets the password unless a new one comes with it: an account's password is never sent to a
 * registry it was not given for.
 */
export const CloudRegistryRef = z.object({ cloudId: idRef("cloud") });
export const SetCloudRegistryInput = z.object({
  cloudId: idRef("cloud"),
  /** `host[:port]`, or a URL reduced to it (e.g. https://registry.example.com:5000) */
  server: z
    .string()
    .trim()
    .min(1, "server is required")
    .max(300)
    .refine((s) => registryServerOf(s) !== null, "must be a registry host[:port] like registry.example.com:5000"),
  /** omitted or null: pull without an account */
  username: RegistryUsername.nullish(),
  /** omitted: keep the one set (for the same server and username); null: forget it */
  password: RegistryPassword.nullish(),
});

const PURPOSE = "registry password";

export function openRegistryPassword(deps: CoreDeps, cloudId: string, sealed: string): string {
  return openSecret(deps, PURPOSE, cloudId, sealed);
}

type Row = { cloudId: string; server: string; username: string | null; sealedPassword: string | null; updatedAt: Date };

function toDto(cloudId: string, row: Row | null): CloudRegistryDto {
  return {
    cloudId,
    server: row?.server ?? null,
    username: row?.username ?? null,
    password: row?.sealedPassword ? "set" : "not set",
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

export async function getCloudRegistry(ctx: Ctx, input: z.infer<typeof CloudRegistryRef>): Promise<CloudRegistryDto> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const cloud = await findOwnCloud(ctx, input.cloudId);
  const row = await ctx.db.cloudRegistry.findUnique({ where: { cloudId: cloud.id } });
  return toDto(cloud.id, row);
}

export async function setCloudRegistry(
  ctx: Ctx,
  input: z.infer<typeof SetCloudRegistryInput>,
): Promise<CloudRegistryDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  const cloud = await findOwnCloud(ctx, input.cloudId);
  const server = registryServerOf(input.server);
  if (!server) throw new DomainError("VALIDATION_FAILED", "server: not a registry host[:port]", { field: "server" });
  const username = input.username ?? null;
  if (input.password && !username)
    throw new DomainError("VALIDATION_FAILED", "username: a password needs the account's username", {
      field: "username",
    });
  return ctx.db.$transaction(async (tx) => {
    const before = await tx.cloudRegistry.findUnique({ where: { cloudId: cloud.id } });
    const sameAccount = before?.server === server && before.username === username;
    const sealedPassword =
      input.password === undefined
        ? sameAccount
          ? (before?.sealedPassword ?? null)
          : null
        : input.password === null
          ? null
          : sealSecret(ctx, PURPOSE, cloud.id, input.password);
    const data = { server, username, sealedPassword, updatedBy: ctx.actor.email };
    const row = await tx.cloudRegistry.upsert({
      where: { cloudId: cloud.id },
      create: { cloudId: cloud.id, ...data },
      update: data,
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "cloud.registry_set",
      targetType: "cloud",
      targetId: cloud.id,
      before: before
        ? { server: before.server, username: before.username, password: before.sealedPassword ? "set" : "not set" }
        : null,
      after: { server, username, password: sealedPassword ? "set" : "not set" },
    });
    return toDto(cloud.id, row);
  });
}

export async function clearCloudRegistry(ctx: Ctx, input: z.infer<typeof CloudRegistryRef>): Promise<CloudRegistryDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  const cloud = await findOwnCloud(ctx, input.cloudId);
  await ctx.db.$transaction(async (tx) => {
    const before = await tx.cloudRegistry.findUnique({ where: { cloudId: cloud.id } });
    if (!before) return;
    await tx.cloudRegistry.delete({ where: { cloudId: cloud.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "cloud.registry_cleared",
      targetType: "cloud",
      targetId: cloud.id,
      before: { server: before.server, username: before.username },
    });
  });
  return toDto(cloud.id, null);
}
