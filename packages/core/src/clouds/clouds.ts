import { CloudDto, CloudKind, idRef, asId } from "@nvi/contracts";
import { isUniqueViolation } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";

const label = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, `${what}: letters, digits, space, . _ - (starting with a letter or digit)`);

export const CreateCloudInput = z.object({
  name: label("name"),
  kind: CloudKind,
  region: label("region"),
  datacenter: label("datacenter"),
});

type CloudRow = {
  id: string;
  name: string;
  kind: CloudKind;
  region: string;
  datacenter: string;
  createdAt: Date;
  _count?: { hosts: number };
};

function toDto(row: CloudRow): CloudDto {
  return {
    id: asId("cloud", row.id),
    name: row.name,
    kind: row.kind,
    region: row.region,
    datacenter: row.datacenter,
    createdAt: row.createdAt.toISOString(),
    hostCount: row._count?.hosts ?? 0,
  };
}

export async function createCloud(ctx: Ctx, input: z.infer<typeof CreateCloudInput>): Promise<CloudDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  try {
    return await ctx.db.$transaction(async (tx) => {
      const row = await tx.cloud.create({ data: { id: ctx.newId("cloud"), orgId: ctx.actor.orgId, ...input } });
      await recordAudit(tx, ctx, subjectOf(ctx.actor), {
        action: "cloud.created",
        targetType: "cloud",
        targetId: row.id,
        after: input,
      });
      return toDto(row);
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new DomainError("DUPLICATE_NAME", `a cloud named "${input.name}" already exists`, { field: "name" });
    throw error;
  }
}

export async function listClouds(ctx: Ctx): Promise<CloudDto[]> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const rows = await ctx.db.cloud.findMany({
    where: { orgId: ctx.actor.orgId },
    include: { _count: { select: { hosts: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(toDto);
}

export const CloudRef = z.object({ cloudId: idRef("cloud") });

export async function deleteCloud(ctx: Ctx, input: z.infer<typeof CloudRef>): Promise<{ deleted: true }> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.cloud.findFirst({
      where: { id: input.cloudId, orgId: ctx.actor.orgId },
      include: { _count: { select: { hosts: true, subnets: true } } },
    });
    if (!row) throw notFound("cloud");
    if (row._count.hosts > 0) {
      throw new DomainError(
        "CLOUD_NOT_EMPTY",
        `cloud "${row.name}" still has ${row._count.hosts} host(s); remove them first`,
      );
    }
    if (row._count.subnets > 0) {
      throw new DomainError(
        "CLOUD_NOT_EMPTY",
        `cloud "${row.name}" still holds ${row._count.subnets} VPC subnet(s); delete them first`,
      );
    }
    await tx.cloud.delete({ where: { id: row.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "cloud.deleted",
      targetType: "cloud",
      targetId: row.id,
      before: toDto(row),
    });
  });
  return { deleted: true };
}

/** The cloud, if it is the caller's; shared by join tokens and hosts. */
export async function findOwnCloud(ctx: Ctx, cloudId: string, field?: string) {
  const row = await ctx.db.cloud.findFirst({ where: { id: cloudId, orgId: ctx.actor.orgId } });
  if (!row) throw field ? new DomainError("NOT_FOUND", `${field}: cloud not found`, { field }) : notFound("cloud");
  return row;
}
