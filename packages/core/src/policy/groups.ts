import { GroupDto, Labels, idRef, asId } from "@nvi/contracts";
import { Prisma, isUniqueViolation, type DbTx } from "@nvi/db";
import { PolicyView } from "@nvi/policy";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { changePolicy, changePolicySetting, previewFlag } from "./change.ts";
import { labelsOf } from "./snapshot.ts";

const groupName = z
  .string()
  .trim()
  .min(1, "name is required")
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, . _ - (starting with a letter or digit)");
/** Every policy change can be previewed: nothing is kept, the answer lists the pairs that would gain or lose access. */
const preview = previewFlag;

export const CreateGroupInput = z.object({
  vpcId: idRef("vpc"),
  name: groupName,
  description: z.string().trim().max(200).default(""),
  matchLabels: Labels.nullable().default(null),
  memberIds: z.array(idRef("instance")).max(500).default([]),
  preview,
});
export const UpdateGroupInput = z.object({
  groupId: idRef("group"),
  name: groupName.optional(),
  description: z.string().trim().max(200).optional(),
  matchLabels: Labels.nullable().optional(),
  memberIds: z.array(idRef("instance")).max(500).optional(),
  preview,
});
export const GroupRef = z.object({ groupId: idRef("group"), preview });
export const ListGroupsInput = z.object({ vpcId: idRef("vpc").optional() });

type GroupRow = {
  id: string;
  vpcId: string;
  name: string;
  description: string;
  matchLabels: unknown;
  createdAt: Date;
  members: { instanceId: string }[];
};

export function groupDto(g: GroupRow, view: PolicyView, instances: Parameters<PolicyView["isMember"]>[1][]): GroupDto {
  const pg = view.group(g.id);
  return {
    id: asId("group", g.id),
    vpcId: asId("vpc", g.vpcId),
    name: g.name,
    description: g.description,
    matchLabels: g.matchLabels === null ? null : labelsOf(g.matchLabels),
    memberIds: g.members.map((m) => asId("instance", m.instanceId)),
    effectiveMemberIds: pg ? instances.filter((i) => view.isMember(pg, i)).map((i) => asId("instance", i.id)) : [],
    createdAt: g.createdAt.toISOString(),
  };
}

export async function listGroups(ctx: Ctx, input: z.infer<typeof ListGroupsInput> = {}): Promise<GroupDto[]> {
  assertScope(ctx.actor.scopes, "policies", "read");
  // one statement (one round trip, one snapshot): the groups with their explicit members, and the
  // live instances their labels may match (membership never crosses a VPC or an organization)
  const vpc = input.vpcId ? Prisma.sql`AND vpc_id = ${input.vpcId}` : Prisma.empty;
  const [row] = await ctx.db.$queryRaw<{ groups: ListedGroup[]; instances: ListedInstance[] }[]>`
    SELECT
      (SELECT coalesce(json_agg(json_build_object('id', g.id, 'vpcId', g.vpc_id, 'name', g.name,
          'description', g.description, 'matchLabels', g.match_labels,
          'createdAt', (extract(epoch FROM g.created_at) * 1000)::bigint,
          'memberIds', ARRAY(SELECT m.instance_id FROM group_members m WHERE m.group_id = g.id ORDER BY m.created_at, m.instance_id))
          ORDER BY g.vpc_id, g.created_at, g.id), '[]')
        FROM instance_groups g WHERE g.org_id = ${ctx.actor.orgId} ${vpc}) AS groups,
      (SELECT coalesce(json_agg(json_build_object('id', i.id, 'vpcId', i.vpc_id, 'name', i.name, 'address', i.address,
          'labels', i.labels) ORDER BY i.created_at, i.id), '[]')
        FROM instances i WHERE i.org_id = ${ctx.actor.orgId} AND i.status <> 'terminated' ${vpc}) AS instances`;
  const orgId = ctx.actor.orgId;
  const groups = (row?.groups ?? []).map((g) => ({
    ...g,
    orgId,
    matchLabels: g.matchLabels === null ? null : labelsOf(g.matchLabels),
  }));
  const instances = (row?.instances ?? []).map((i) => ({ ...i, orgId, labels: labelsOf(i.labels) }));
  const view = new PolicyView({ groups, rules: [], denies: [], peerings: [] });
  return groups.map((g) =>
    groupDto(
      { ...g, createdAt: new Date(Number(g.createdAt)), members: g.memberIds.map((instanceId) => ({ instanceId })) },
      view,
      instances,
    ),
  );
}

/** A group as `listGroups` reads it (`createdAt` in ms since the epoch: JSON has no timestamp type). */
type ListedGroup = {
  id: string;
  vpcId: string;
  name: string;
  description: string;
  matchLabels: unknown;
  createdAt: number | string;
  memberIds: string[];
};
type ListedInstance = { id: string; vpcId: string; name: string; address: string; labels: unknown };

export async function ownGroup(tx: Pick<DbTx, "group">, ctx: Ctx, groupId: string, field = "groupId") {
  const g = await tx.group.findFirst({
    where: { id: groupId, orgId: ctx.actor.orgId },
    include: { members: { select: { instanceId: true } } },
  });
  if (!g) throw new DomainError("NOT_FOUND", `${field}: group not found`, { field });
  return g;
}

/** Explicit members must be instances of the group's own VPC. */
async function checkMembers(tx: DbTx, ctx: Ctx, vpcId: string, memberIds: readonly string[]): Promise<void> {
  const found = await tx.instance.findMany({
    where: { id: { in: [...memberIds] }, orgId: ctx.actor.orgId, vpcId, status: { not: "terminated" } },
    select: { id: true },
  });
  const missing = memberIds.filter((m) => !found.some((f) => f.id === m));
  if (missing.length > 0)
    throw new DomainError("VALIDATION_FAILED", `memberIds: ${missing.join(", ")} is not an instance of this VPC`, {
      field: "memberIds",
    });
}

const audited = (
  g: { name: string; description: string; matchLabels: unknown; members?: { instanceId: string }[] },
  memberIds?: readonly string[],
) => ({
  name: g.name,
  description: g.description,
  matchLabels: g.matchLabels,
  memberIds: memberIds ?? g.members?.map((m) => m.instanceId) ?? [],
});

function duplicateName(error: unknown, name: string): never {
  if (isUniqueViolation(error))
    throw new DomainError("DUPLICATE_NAME", `a group named "${name}" already exists in this VPC`, { field: "name" });
  throw error;
}

export async function createGroup(ctx: Ctx, queue: OperationQueue, input: z.input<typeof CreateGroupInput>) {
  const q = CreateGroupInput.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const vpc = await tx.vpc.findFirst({ where: { id: q.vpcId, orgId: ctx.actor.orgId } });
    if (!vpc) throw new DomainError("NOT_FOUND", "vpcId: VPC not found", { field: "vpcId" });
    await checkMembers(tx, ctx, vpc.id, q.memberIds);
    const groupId = ctx.newId("group");
    await tx.group
      .create({
        data: {
          id: groupId,
          orgId: ctx.actor.orgId,
          vpcId: vpc.id,
          name: q.name,
          description: q.description,
          matchLabels: q.matchLabels ?? undefined,
          members: { create: [...new Set(q.memberIds)].map((instanceId) => ({ instanceId })) },
        },
      })
      .catch((e: unknown) => duplicateName(e, q.name));
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.group.created",
      targetType: "group",
      targetId: groupId,
      after: { vpcId: vpc.id, ...audited(q, q.memberIds) },
    });
    return { targetId: groupId };
  });
}

export async function updateGroup(ctx: Ctx, queue: OperationQueue, input: z.input<typeof UpdateGroupInput>) {
  const q = UpdateGroupInput.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const g = await ownGroup(tx, ctx, q.groupId);
    if (q.memberIds) await checkMembers(tx, ctx, g.vpcId, q.memberIds);
    const matchLabels =
      q.matchLabels === undefined ? undefined : q.matchLabels === null ? { set: null } : q.matchLabels;
    await tx.group
      .update({
        where: { id: g.id },
        data: {
          name: q.name,
          description: q.description,
          ...(matchLabels === undefined ? {} : { matchLabels: matchLabels as never }),
        },
      })
      .catch((e: unknown) => duplicateName(e, q.name ?? g.name));
    if (q.memberIds) {
      await tx.groupMember.deleteMany({ where: { groupId: g.id } });
      await tx.groupMember.createMany({
        data: [...new Set(q.memberIds)].map((instanceId) => ({ groupId: g.id, instanceId })),
      });
    }
    const after = await ownGroup(tx, ctx, g.id);
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.group.updated",
      targetType: "group",
      targetId: g.id,
      before: audited(g),
      after: audited(after),
    });
    return { targetId: g.id };
  });
}

/** Its rules go with it (and the access they gave: the preview lists it). */
export async function deleteGroup(ctx: Ctx, queue: OperationQueue, input: z.input<typeof GroupRef>) {
  const q = GroupRef.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const g = await ownGroup(tx, ctx, q.groupId);
    const rules = await tx.policyRule.findMany({
      where: { OR: [{ srcGroupId: g.id }, { dstGroupId: g.id }] },
      select: { id: true },
    });
    await tx.group.delete({ where: { id: g.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.group.deleted",
      targetType: "group",
      targetId: g.id,
      before: { ...audited(g), rulesRemoved: rules.map((r) => r.id) },
    });
    return { targetId: null };
  });
}

export const SetLabelsInput = z.object({ instanceId: idRef("instance"), labels: Labels, preview });

/** Labels decide label-matched group membership, so changing them is a policy change (previewed, applied, audited). */
export async function setInstanceLabels(ctx: Ctx, queue: OperationQueue, input: z.input<typeof SetLabelsInput>) {
  const q = SetLabelsInput.parse(input);
  assertScope(ctx.actor.scopes, "instances", "write");
  return changePolicySetting(ctx, queue, q.preview, {
    find: (tx) => tx.instance.findFirst({ where: { id: q.instanceId, orgId: ctx.actor.orgId } }),
    missing: notFound("instance"),
    write: (tx, inst) => tx.instance.update({ where: { id: inst.id }, data: { labels: q.labels } }),
    audit: {
      action: "instance.labels.updated",
      targetType: "instance",
      before: (inst) => ({ labels: inst.labels }),
      after: { labels: q.labels },
    },
  });
}
