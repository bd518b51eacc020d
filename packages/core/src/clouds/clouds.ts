import { CloudDto, CloudInterconnect, CloudKind, idRef, asId } from "@nvi/contracts";
import { isUniqueViolation } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { nameList } from "../vpcs/holders.ts";

const label = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "letters, digits, space, . _ - (starting with a letter or digit)");

export const CreateCloudInput = z.object({
  name: label("name"),
  kind: CloudKind,
  region: label("region"),
  datacenter: label("datacenter"),
  /** "gateway": the cloud reaches others across the internet through its gateway hosts (default "routed") */
  interconnect: CloudInterconnect.default("routed"),
});

type CloudRow = {
  id: string;
  name: string;
  kind: CloudKind;
  region: string;
  datacenter: string;
  interconnect: CloudInterconnect;
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
    interconnect: row.interconnect,
    createdAt: row.createdAt.toISOString(),
    hostCount: row._count?.hosts ?? 0,
  };
}

export async function createCloud(ctx: Ctx, given: z.input<typeof CreateCloudInput>): Promise<CloudDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  const input = { ...given, interconnect: given.interconnect ?? "routed" };
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
    // id breaks ties: clouds made in one statement share their creation time, and Postgres answers
    // equal keys in any order (a page could repeat one cloud and skip another)
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.map(toDto);
}

export const CloudRef = z.object({ cloudId: idRef("cloud") });

export async function deleteCloud(ctx: Ctx, input: z.infer<typeof CloudRef>): Promise<{ deleted: true }> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.cloud.findFirst({
      where: { id: input.cloudId, orgId: ctx.actor.orgId },
      include: {
        _count: { select: { hosts: true, subnets: true } },
        hosts: { select: { name: true }, orderBy: { name: "asc" }, take: 5 },
        subnets: { select: { name: true, vpc: { select: { name: true } } }, orderBy: { name: "asc" }, take: 5 },
      },
    });
    if (!row) throw notFound("cloud");
    const { hosts, subnets } = row._count;
    if (hosts > 0 || subnets > 0) {
      const held = [
        hosts > 0
          ? nameList(
              "host",
              row.hosts.map((h) => h.name),
              hosts,
            )
          : "",
        subnets > 0
          ? nameList(
              "subnet",
              row.subnets.map((s) => `${s.name} of VPC ${s.vpc.name}`),
              subnets,
            )
          : "",
      ].filter(Boolean);
      const todo = [
        hosts > 0 ? `remove the host${hosts > 1 ? "s" : ""}` : "",
        subnets > 0 ? `delete the subnet${subnets > 1 ? "s" : ""}` : "",
      ].filter(Boolean);
      throw new DomainError(
        "CLOUD_NOT_EMPTY",
        `cloud "${row.name}" still has ${held.join(" and ")}; ${todo.join(" and ")} first`,
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
