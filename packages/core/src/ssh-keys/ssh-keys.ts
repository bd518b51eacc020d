import { AddSshKeyInput, SshKeyDto, SshKeyRef, SshKeyType, asId } from "@nvi/contracts";
import { isUniqueViolation } from "@nvi/db";
import type { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { parseSshPublicKey } from "./key-format.ts";

/**
 * SSH public keys of an organization (issue 17): added, listed and removed by its members
 * (`instances:write`; viewers and read-only tokens list them), chosen at a VM's launch. A key is
 * checked strictly on the way in (key-format.ts) and kept once per organization: the same key
 * under a second name, or a second key under the same name, is refused and says which it clashes
 * with. Removing a key changes no VM already launched with it (their guests keep what they got).
 */
export const MAX_SSH_KEYS_PER_ORG = 200;

type Row = {
  id: string;
  name: string;
  keyType: string;
  bits: number;
  fingerprint: string;
  comment: string | null;
  publicKey: string;
  createdBy: string;
  createdAt: Date;
};

function toDto(r: Row): SshKeyDto {
  return {
    id: asId("sshKey", r.id),
    name: r.name,
    type: SshKeyType.parse(r.keyType),
    bits: r.bits,
    fingerprint: r.fingerprint,
    comment: r.comment,
    publicKey: r.publicKey,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
  };
}

export async function listSshKeys(ctx: Ctx): Promise<SshKeyDto[]> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const rows = await ctx.db.sshKey.findMany({
    where: { orgId: ctx.actor.orgId },
    orderBy: { name: "asc" },
    take: MAX_SSH_KEYS_PER_ORG,
  });
  return rows.map(toDto);
}

export async function addSshKey(ctx: Ctx, input: z.infer<typeof AddSshKeyInput>): Promise<SshKeyDto> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const parsed = parseSshPublicKey(input.publicKey);
  if ("problem" in parsed) throw new DomainError("VALIDATION_FAILED", parsed.problem, { field: "publicKey" });
  const orgId = ctx.actor.orgId;
  const same = await ctx.db.sshKey.findFirst({
    where: { orgId, OR: [{ fingerprint: parsed.fingerprint }, { name: input.name }] },
  });
  if (same) throw clash(same, parsed.fingerprint);
  if ((await ctx.db.sshKey.count({ where: { orgId } })) >= MAX_SSH_KEYS_PER_ORG)
    throw new DomainError(
      "QUOTA_EXCEEDED",
      `the organization already keeps ${MAX_SSH_KEYS_PER_ORG} SSH keys; remove some first`,
      { field: "publicKey" },
    );
  try {
    return await ctx.db.$transaction(async (tx) => {
      const row = await tx.sshKey.create({
        data: {
          id: ctx.newId("sshKey"),
          orgId,
          name: input.name,
          keyType: parsed.type,
          bits: parsed.bits,
          fingerprint: parsed.fingerprint,
          comment: parsed.comment,
          publicKey: parsed.line,
          createdBy: ctx.actor.email,
          createdAt: ctx.clock(),
        },
      });
      await recordAudit(tx, ctx, subjectOf(ctx.actor), {
        action: "ssh_key.added",
        targetType: "ssh_key",
        targetId: row.id,
        after: { name: row.name, type: row.keyType, fingerprint: row.fingerprint },
      });
      return toDto(row);
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // added at the same moment by someone else: say which of the two clashed
    const other = await ctx.db.sshKey.findFirst({
      where: { orgId, OR: [{ fingerprint: parsed.fingerprint }, { name: input.name }] },
    });
    throw other ? clash(other, parsed.fingerprint) : e;
  }
}

function clash(existing: { name: string; fingerprint: string }, fingerprint: string): DomainError {
  return existing.fingerprint === fingerprint
    ? new DomainError(
        "DUPLICATE_KEY",
        `this key (${fingerprint}) is already kept in the organization as "${existing.name}"`,
        { field: "publicKey" },
      )
    : new DomainError("DUPLICATE_NAME", `an SSH key named "${existing.name}" already exists`, { field: "name" });
}

export async function removeSshKey(ctx: Ctx, input: z.infer<typeof SshKeyRef>): Promise<{ removed: true }> {
  assertScope(ctx.actor.scopes, "instances", "write");
  await ctx.db.$transaction(async (tx) => {
    const key = await tx.sshKey.findFirst({ where: { id: input.sshKeyId, orgId: ctx.actor.orgId } });
    if (!key) throw notFound("SSH key");
    await tx.sshKey.delete({ where: { id: key.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "ssh_key.removed",
      targetType: "ssh_key",
      targetId: key.id,
      before: { name: key.name, type: key.keyType, fingerprint: key.fingerprint },
    });
  });
  return { removed: true };
}

/**
 * The `authorized_keys` lines of the keys chosen for a launch, in the order given: every id must
 * name a key of the caller's own organization (another tenant's id, a removed key and a made-up id
 * are all "not found"; the answer tells nothing of other organizations).
 */
export async function resolveSshKeys(ctx: Ctx, ids: readonly string[]): Promise<{ lines: string[]; names: string[] }> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return { lines: [], names: [] };
  const rows = await ctx.db.sshKey.findMany({
    where: { orgId: ctx.actor.orgId, id: { in: unique } },
    select: { id: true, name: true, publicKey: true },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = unique.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new DomainError("NOT_FOUND", `SSH key not found: ${missing.map((m) => m.slice(0, 40)).join(", ")}`, {
      field: "sshKeyIds",
    });
  const chosen = unique.map((id) => byId.get(id)!);
  return { lines: chosen.map((r) => r.publicKey), names: chosen.map((r) => r.name) };
}
