import { SubnetDto, UnderlayDscp, VpcDto, idRef, asId } from "@nvi/contracts";
import { isUniqueViolation, type DbTx } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import { findOwnCloud } from "../clouds/clouds.ts";
import { clearTerminatedInstances } from "./holders.ts";
import { assertCloudsJoined } from "../clouds/gateways.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import {
  contains,
  formatCidr,
  formatIpv4,
  gatewayOf,
  isPrivate,
  isProblem,
  overlaps,
  parseCidr,
  type Cidr,
} from "../net/cidr.ts";

/** VPCs are /8 to /28 inside RFC 1918 space; subnets /16 to /29 inside their VPC. */
export const VPC_PREFIX = { min: 8, max: 28 } as const;
export const SUBNET_PREFIX = { min: 16, max: 29 } as const;

const name = z
  .string()
  .trim()
  .min(1, "name is required")
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "letters, digits, space, . _ - (starting with a letter or digit)");

function cidrField(text: string, field: string, bounds: { min: number; max: number }): Cidr {
  const c = parseCidr(text);
  if (isProblem(c)) throw new DomainError("VALIDATION_FAILED", c.message, { field });
  if (c.prefix < bounds.min || c.prefix > bounds.max) {
    throw new DomainError(
      "VALIDATION_FAILED",
      `${field} must be between /${bounds.min} and /${bounds.max} (got /${c.prefix})`,
      { field },
    );
  }
  return c;
}

const subnetFields = { cloudId: idRef("cloud"), name, cidr: z.string().trim().min(9).max(18) };

export const CreateVpcInput = z.object({
  name,
  cidr: z.string().trim().min(9).max(18),
  /** Overlapping another VPC of the organization is refused unless the two will never be peered. */
  allowOverlap: z.boolean().default(false),
  /** DSCP its instances' packets carry on the underlay (0–63; 0 = best effort); tenants' own marks never reach it */
  underlayDscp: UnderlayDscp.default(0),
  /** Subnets created with the VPC, in the same transaction (all or nothing): how a drawn VPC is made. */
  subnets: z.array(z.object(subnetFields)).max(32).default([]),
});

type VpcRow = {
  id: string;
  name: string;
  cidr: string;
  allowOverlap: boolean;
  underlayDscp: number;
  createdAt: Date;
  _count?: { subnets: number };
};

function vpcDto(row: VpcRow): VpcDto {
  return {
    id: asId("vpc", row.id),
    name: row.name,
    cidr: row.cidr,
    allowOverlap: row.allowOverlap,
    underlayDscp: row.underlayDscp,
    createdAt: row.createdAt.toISOString(),
    subnetCount: row._count?.subnets ?? 0,
  };
}

/**
 * The documented default inside a new VPC: a group "default" that every instance of the VPC is in,
 * and the rule default → default (any protocol), so a fresh VPC works like a flat network. Restrict
 * it by unplugging that cell and plugging narrower groups; across VPCs and tenants nothing passes
 * without a peering and a rule.
 */
async function createDefaultGroup(tx: DbTx, ctx: Ctx, vpcId: string): Promise<void> {
  const groupId = ctx.newId("group");
  await tx.group.create({
    data: {
      id: groupId,
      orgId: ctx.actor.orgId,
      vpcId,
      name: "default",
      description: "every instance of the VPC",
      matchLabels: {},
    },
  });
  await tx.policyRule.create({
    data: {
      id: ctx.newId("policyRule"),
      orgId: ctx.actor.orgId,
      srcGroupId: groupId,
      dstGroupId: groupId,
      protocol: "any",
      ports: [],
      description: "members of the VPC talk to each other",
    },
  });
}

/** Serialises VPC and subnet changes of one organization, so overlap checks cannot race. */
async function lockOrgNetworks(tx: DbTx, orgId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`vpcs:${orgId}`}))`;
}

type CreateVpc = Omit<z.infer<typeof CreateVpcInput>, "subnets" | "underlayDscp"> & {
  subnets?: z.infer<typeof CreateVpcInput>["subnets"];
  underlayDscp?: number;
};

export async function createVpc(ctx: Ctx, input: CreateVpc): Promise<VpcDto> {
  const wanted = input.subnets ?? [];
  assertScope(ctx.actor.scopes, "vpcs", "write");
  const cidr = cidrField(input.cidr, "cidr", VPC_PREFIX);
  const subnets = await Promise.all(
    wanted.map(async (sn, i) => ({
      ...sn,
      field: `subnets.${i}.`,
      parsed: cidrField(sn.cidr, `subnets.${i}.cidr`, SUBNET_PREFIX),
      cloud: await findOwnCloud(ctx, sn.cloudId, `subnets.${i}.cloudId`),
    })),
  );
  if (!isPrivate(cidr)) {
    throw new DomainError(
      "VALIDATION_FAILED",
      `${formatCidr(cidr)} is not private address space: use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`,
      { field: "cidr" },
    );
  }
  try {
    return await ctx.db.$transaction(async (tx) => {
      await lockOrgNetworks(tx, ctx.actor.orgId);
      if (!input.allowOverlap) {
        const others = await tx.vpc.findMany({ where: { orgId: ctx.actor.orgId }, select: { name: true, cidr: true } });
        const clash = others.find((o) => overlaps(parseCidr(o.cidr) as Cidr, cidr));
        if (clash) {
          throw new DomainError(
            "CIDR_OVERLAP",
            `${formatCidr(cidr)} overlaps VPC "${clash.name}" (${clash.cidr}); pick another range, or allow overlap if they will never be peered`,
            {
              field: "cidr",
            },
          );
        }
      }
      const row = await tx.vpc.create({
        data: {
          id: ctx.newId("vpc"),
          orgId: ctx.actor.orgId,
          name: input.name,
          cidr: formatCidr(cidr),
          allowOverlap: input.allowOverlap,
          underlayDscp: input.underlayDscp ?? 0,
        },
      });
      await recordAudit(tx, ctx, subjectOf(ctx.actor), {
        action: "vpc.created",
        targetType: "vpc",
        targetId: row.id,
        after: { name: row.name, cidr: row.cidr, underlayDscp: row.underlayDscp },
      });
      await createDefaultGroup(tx, ctx, row.id);
      for (const sn of subnets)
        await insertSubnet(tx, ctx, row, sn.cloud, { name: sn.name, cidr: sn.parsed }, sn.field);
      return vpcDto({ ...row, _count: { subnets: subnets.length } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const sameName = wanted.findIndex((sn, i) => wanted.findIndex((o) => o.name === sn.name) !== i);
      if (sameName >= 0)
        throw new DomainError("DUPLICATE_NAME", `two subnets are named "${wanted[sameName]!.name}"`, {
          field: `subnets.${sameName}.name`,
        });
      throw new DomainError("DUPLICATE_NAME", `a VPC named "${input.name}" already exists`, { field: "name" });
    }
    throw error;
  }
}

export async function listVpcs(ctx: Ctx): Promise<VpcDto[]> {
  assertScope(ctx.actor.scopes, "vpcs", "read");
  const rows = await ctx.db.vpc.findMany({
    where: { orgId: ctx.actor.orgId },
    include: { _count: { select: { subnets: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(vpcDto);
}

export const VpcRef = z.object({ vpcId: idRef("vpc") });

async function ownVpc(tx: Pick<DbTx, "vpc">, ctx: Ctx, vpcId: string) {
  const row = await tx.vpc.findFirst({ where: { id: vpcId, orgId: ctx.actor.orgId } });
  if (!row) throw notFound("VPC");
  return row;
}

/** A VPC goes once no instance lives in it any more (terminated ones go with it; the audit keeps them). */
export async function deleteVpc(ctx: Ctx, input: z.infer<typeof VpcRef>): Promise<{ deleted: true }> {
  assertScope(ctx.actor.scopes, "vpcs", "write");
  await ctx.db.$transaction(async (tx) => {
    await lockOrgNetworks(tx, ctx.actor.orgId);
    const row = await ownVpc(tx, ctx, input.vpcId);
    const subnets = await tx.subnet.findMany({ where: { vpcId: row.id }, select: { id: true } });
    await clearTerminatedInstances(
      tx,
      subnets.map((s) => s.id),
      `VPC "${row.name}"`,
    );
    await tx.vpc.delete({ where: { id: row.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "vpc.deleted",
      targetType: "vpc",
      targetId: row.id,
      before: { name: row.name, cidr: row.cidr },
    });
  });
  return { deleted: true };
}

export const CreateSubnetInput = z.object({
  vpcId: idRef("vpc"),
  cloudId: idRef("cloud"),
  name,
  cidr: z.string().trim().min(9).max(18),
});

type SubnetRow = {
  id: string;
  vpcId: string;
  cloudId: string;
  name: string;
  cidr: string;
  gateway: string;
  createdAt: Date;
  _count?: { allocations: number };
};

function subnetDto(row: SubnetRow): SubnetDto {
  return {
    id: asId("subnet", row.id),
    vpcId: asId("vpc", row.vpcId),
    cloudId: asId("cloud", row.cloudId),
    name: row.name,
    cidr: row.cidr,
    gateway: row.gateway,
    createdAt: row.createdAt.toISOString(),
    addressesInUse: row._count?.allocations ?? 0,
  };
}

/** Inside the organization's network lock: the subnet must sit inside its VPC, apart from its siblings. */
async function insertSubnet(
  tx: DbTx,
  ctx: Ctx,
  vpc: { id: string; name: string; cidr: string },
  cloud: { id: string; name: string },
  input: { name: string; cidr: Cidr },
  field = "",
): Promise<SubnetDto> {
  const { cidr } = input;
  if (!contains(parseCidr(vpc.cidr) as Cidr, cidr)) {
    throw new DomainError("VALIDATION_FAILED", `${formatCidr(cidr)} is not inside VPC "${vpc.name}" (${vpc.cidr})`, {
      field: `${field}cidr`,
    });
  }
  await assertCloudsJoined(tx, vpc, cloud, `${field}cloudId`);
  const siblings = await tx.subnet.findMany({ where: { vpcId: vpc.id }, select: { name: true, cidr: true } });
  const clash = siblings.find((s) => overlaps(parseCidr(s.cidr) as Cidr, cidr));
  if (clash)
    throw new DomainError("CIDR_OVERLAP", `${formatCidr(cidr)} overlaps subnet "${clash.name}" (${clash.cidr})`, {
      field: `${field}cidr`,
    });
  const row = await tx.subnet.create({
    data: {
      id: ctx.newId("subnet"),
      orgId: ctx.actor.orgId,
      vpcId: vpc.id,
      cloudId: cloud.id,
      name: input.name,
      cidr: formatCidr(cidr),
      gateway: formatIpv4(gatewayOf(cidr)),
    },
  });
  await recordAudit(tx, ctx, subjectOf(ctx.actor), {
    action: "subnet.created",
    targetType: "subnet",
    targetId: row.id,
    after: { vpc: vpc.name, cloud: cloud.name, name: row.name, cidr: row.cidr },
  });
  return subnetDto(row);
}

/** A subnet places part of a VPC in one cloud; a VPC with subnets in several clouds spans them. */
export async function createSubnet(ctx: Ctx, input: z.infer<typeof CreateSubnetInput>): Promise<SubnetDto> {
  assertScope(ctx.actor.scopes, "vpcs", "write");
  const cidr = cidrField(input.cidr, "cidr", SUBNET_PREFIX);
  const cloud = await findOwnCloud(ctx, input.cloudId);
  try {
    return await ctx.db.$transaction(async (tx) => {
      await lockOrgNetworks(tx, ctx.actor.orgId);
      return insertSubnet(tx, ctx, await ownVpc(tx, ctx, input.vpcId), cloud, { name: input.name, cidr });
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new DomainError("DUPLICATE_NAME", `a subnet named "${input.name}" already exists in this VPC`, {
        field: "name",
      });
    throw error;
  }
}

export async function listSubnets(ctx: Ctx, input: z.infer<typeof VpcRef>): Promise<SubnetDto[]> {
  assertScope(ctx.actor.scopes, "vpcs", "read");
  await ownVpc(ctx.db, ctx, input.vpcId);
  const rows = await ctx.db.subnet.findMany({
    where: { vpcId: input.vpcId, orgId: ctx.actor.orgId },
    include: { _count: { select: { allocations: true } } },
    orderBy: { cidr: "asc" },
  });
  return rows.map(subnetDto);
}

export const SubnetRef = z.object({ subnetId: idRef("subnet") });

export async function deleteSubnet(ctx: Ctx, input: z.infer<typeof SubnetRef>): Promise<{ deleted: true }> {
  assertScope(ctx.actor.scopes, "vpcs", "write");
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.subnet.findFirst({ where: { id: input.subnetId, orgId: ctx.actor.orgId } });
    if (!row) throw notFound("subnet");
    await clearTerminatedInstances(tx, [row.id], `subnet "${row.name}"`);
    await tx.subnet.delete({ where: { id: row.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "subnet.deleted",
      targetType: "subnet",
      targetId: row.id,
      before: { name: row.name, cidr: row.cidr },
    });
  });
  return { deleted: true };
}
