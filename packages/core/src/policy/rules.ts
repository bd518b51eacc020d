import { MatrixDto, PolicyProtocol, PortRange, RuleDto, idRef, asId } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { parsePorts, PolicyView } from "@nvi/policy";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { auditRow, recordAudit, subjectOf, type AuditRow } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { cellRules } from "./cell-rules.ts";
import { changePolicy, previewFlag } from "./change.ts";
import { groupDto, ownGroup } from "./groups.ts";
import { loadPolicy, portsOf } from "./snapshot.ts";

const preview = previewFlag;
/** `"443"`, `"80,443"`, `"8000-8080"`, or ranges; empty = every port. */
const Ports = z.union([z.string().max(200), z.array(PortRange).max(64)]).default([]);

export const CreateRuleInput = z.object({
  /** the source: a group of this organization… */
  srcGroupId: idRef("group").optional(),
  /** …or every instance of a VPC peered with the destination's (another tenant's VPC, say) */
  srcVpcId: idRef("vpc").optional(),
  dstGroupId: idRef("group"),
  protocol: PolicyProtocol.default("any"),
  ports: Ports,
  bidirectional: z.boolean().default(false),
  enabled: z.boolean().default(true),
  description: z.string().trim().max(200).default(""),
  preview,
});
export const UpdateRuleInput = z.object({
  ruleId: idRef("policyRule"),
  protocol: PolicyProtocol.optional(),
  ports: z.union([z.string().max(200), z.array(PortRange).max(64)]).optional(),
  bidirectional: z.boolean().optional(),
  enabled: z.boolean().optional(),
  description: z.string().trim().max(200).optional(),
  preview,
});
export const RuleRef = z.object({ ruleId: idRef("policyRule"), preview });
export const PlugInput = z.object({ srcGroupId: idRef("group"), dstGroupId: idRef("group"), preview });
export const ListRulesInput = z.object({ vpcId: idRef("vpc").optional() });
export const MatrixInput = z.object({ vpcId: idRef("vpc") });

type RuleRow = {
  id: string;
  srcGroupId: string | null;
  srcVpcId: string | null;
  dstGroupId: string;
  protocol: string;
  ports: unknown;
  bidirectional: boolean;
  enabled: boolean;
  description: string;
  createdAt: Date;
  updatedAt: Date;
  dstGroup: { vpcId: string };
};

export function ruleDto(r: RuleRow): RuleDto {
  return {
    id: asId("policyRule", r.id),
    vpcId: asId("vpc", r.dstGroup.vpcId),
    srcGroupId: r.srcGroupId === null ? null : asId("group", r.srcGroupId),
    srcVpcId: r.srcVpcId === null ? null : asId("vpc", r.srcVpcId),
    dstGroupId: asId("group", r.dstGroupId),
    protocol: PolicyProtocol.catch("any").parse(r.protocol),
    ports: portsOf(r.ports),
    bidirectional: r.bidirectional,
    enabled: r.enabled,
    description: r.description,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

function portsField(protocol: z.infer<typeof PolicyProtocol>, ports: string | PortRange[]): PortRange[] {
  const parsed = typeof ports === "string" ? parsePorts(ports) : ports;
  if (typeof parsed === "string") throw new DomainError("VALIDATION_FAILED", `ports: ${parsed}`, { field: "ports" });
  if (parsed.length > 0 && protocol !== "tcp" && protocol !== "udp")
    throw new DomainError("VALIDATION_FAILED", `ports: only tcp and udp have ports (this rule is ${protocol})`, {
      field: "ports",
    });
  return parsed;
}

/** Both ends must be able to meet: the same VPC, or VPCs with an active peering. */
async function assertPeered(tx: DbTx, a: string, b: string, field: string): Promise<void> {
  if (a === b) return;
  const p = await tx.vpcPeering.findFirst({
    where: {
      status: "active",
      OR: [
        { requesterVpcId: a, accepterVpcId: b },
        { requesterVpcId: b, accepterVpcId: a },
      ],
    },
  });
  if (!p)
    throw new DomainError(
      "VALIDATION_FAILED",
      `${field}: the two VPCs are not peered; peer them first (a rule cannot reach across VPCs without it)`,
      { field },
    );
}

const audited = (r: {
  srcGroupId: string | null;
  srcVpcId: string | null;
  dstGroupId: string;
  protocol: string;
  ports: unknown;
  bidirectional: boolean;
  enabled: boolean;
  description: string;
}) => ({
  srcGroupId: r.srcGroupId,
  srcVpcId: r.srcVpcId,
  dstGroupId: r.dstGroupId,
  protocol: r.protocol,
  ports: r.ports,
  bidirectional: r.bidirectional,
  enabled: r.enabled,
  description: r.description,
});

async function insertRule(tx: DbTx, ctx: Ctx, q: z.infer<typeof CreateRuleInput>): Promise<string> {
  if ((q.srcGroupId === undefined) === (q.srcVpcId === undefined))
    throw new DomainError("VALIDATION_FAILED", "srcGroupId: give the source group or srcVpcId (one of them)", {
      field: "srcGroupId",
    });
  const dst = await ownGroup(tx, ctx, q.dstGroupId, "dstGroupId");
  if (q.srcGroupId !== undefined) {
    const src = await ownGroup(tx, ctx, q.srcGroupId, "srcGroupId");
    await assertPeered(tx, src.vpcId, dst.vpcId, "srcGroupId");
  } else {
    if (q.bidirectional)
      throw new DomainError(
        "VALIDATION_FAILED",
        "bidirectional: a rule from a whole peered VPC is one-way (that VPC's owner writes the other direction)",
        { field: "bidirectional" },
      );
    if (q.srcVpcId === dst.vpcId)
      throw new DomainError("VALIDATION_FAILED", "srcVpcId: name a peered VPC; inside one VPC the source is a group", {
        field: "srcVpcId",
      });
    await assertPeered(tx, q.srcVpcId!, dst.vpcId, "srcVpcId");
  }
  const ports = portsField(q.protocol, q.ports);
  const ruleId = ctx.newId("policyRule");
  const data = {
    srcGroupId: q.srcGroupId ?? null,
    srcVpcId: q.srcVpcId ?? null,
    dstGroupId: dst.id,
    protocol: q.protocol,
    ports,
    bidirectional: q.bidirectional,
    enabled: q.enabled,
    description: q.description,
  };
  await tx.policyRule.create({ data: { id: ruleId, orgId: ctx.actor.orgId, ...data } });
  await recordAudit(tx, ctx, subjectOf(ctx.actor), {
    action: "policy.rule.created",
    targetType: "rule",
    targetId: ruleId,
    after: audited(data),
  });
  return ruleId;
}

export async function createRule(ctx: Ctx, queue: OperationQueue, input: z.input<typeof CreateRuleInput>) {
  const q = CreateRuleInput.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => ({ targetId: await insertRule(tx, ctx, q) }));
}

async function ownRule(tx: DbTx, ctx: Ctx, ruleId: string) {
  const r = await tx.policyRule.findFirst({ where: { id: ruleId, orgId: ctx.actor.orgId } });
  if (!r) throw new DomainError("NOT_FOUND", "ruleId: rule not found", { field: "ruleId" });
  return r;
}

export async function updateRule(ctx: Ctx, queue: OperationQueue, input: z.input<typeof UpdateRuleInput>) {
  const q = UpdateRuleInput.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const r = await ownRule(tx, ctx, q.ruleId);
    const protocol = q.protocol ?? PolicyProtocol.catch("any").parse(r.protocol);
    const ports =
      q.ports !== undefined
        ? portsField(protocol, q.ports)
        : q.protocol !== undefined && protocol !== "tcp" && protocol !== "udp"
          ? []
          : portsField(protocol, portsOf(r.ports));
    if (q.bidirectional && r.srcGroupId === null)
      throw new DomainError("VALIDATION_FAILED", "bidirectional: a rule from a whole peered VPC is one-way", {
        field: "bidirectional",
      });
    const after = await tx.policyRule.update({
      where: { id: r.id },
      data: { protocol, ports, bidirectional: q.bidirectional, enabled: q.enabled, description: q.description },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.rule.updated",
      targetType: "rule",
      targetId: r.id,
      before: audited(r),
      after: audited(after),
    });
    return { targetId: r.id };
  });
}

export async function deleteRule(ctx: Ctx, queue: OperationQueue, input: z.input<typeof RuleRef>) {
  const q = RuleRef.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const r = await ownRule(tx, ctx, q.ruleId);
    await tx.policyRule.delete({ where: { id: r.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.rule.deleted",
      targetType: "rule",
      targetId: r.id,
      before: audited(r),
    });
    return { targetId: null };
  });
}

/**
 * A rule changed by a click on the matrix. Its audit event (with what the click was) is returned,
 * for the change's record to write in its own statement.
 */
async function changeFromMatrix(
  tx: DbTx,
  ctx: Ctx,
  before: Parameters<typeof audited>[0] & { id: string },
  data: { enabled?: boolean; srcGroupId?: string; dstGroupId?: string; bidirectional?: boolean },
  click: { plugged: string[] } | { unplugged: string[] },
): Promise<AuditRow> {
  const after = await tx.policyRule.update({ where: { id: before.id }, data });
  return auditRow(ctx, subjectOf(ctx.actor), {
    action: "policy.rule.updated",
    targetType: "rule",
    targetId: before.id,
    before: audited(before),
    after: { ...audited(after), ...click },
  });
}

/**
 * The matrix's click on an empty cell: src may open anything towards dst (one rule, any protocol,
 * one-way). A plugged cell stays as it is; a rule an unplug disabled comes back as it was (its id,
 * its description: the VPC's documented default stays the default), else a new one is made.
 * The rules are looked up in the policy the change already read under its lock.
 */
export async function plugGroups(ctx: Ctx, queue: OperationQueue, input: z.input<typeof PlugInput>) {
  const q = PlugInput.parse(input);
  const orgId = ctx.actor.orgId;
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx, before) => {
    const [existing] = cellRules(before, orgId, q, { enabled: true, anyProtocol: true });
    if (existing) return { targetId: existing.id };
    const [unplugged] = cellRules(before, orgId, q, { enabled: false, anyProtocol: true });
    if (unplugged) {
      const audit = await changeFromMatrix(
        tx,
        ctx,
        unplugged,
        { enabled: true },
        { plugged: [q.srcGroupId, q.dstGroupId] },
      );
      return { targetId: unplugged.id, audit: [audit] };
    }
    return {
      targetId: await insertRule(tx, ctx, {
        srcGroupId: q.srcGroupId,
        dstGroupId: q.dstGroupId,
        protocol: "any",
        ports: [],
        bidirectional: false,
        enabled: true,
        description: "plugged from the matrix",
        preview: q.preview,
      }),
    };
  });
}

/**
 * The matrix's click on a plugged (or partial) cell: nothing of src → dst stays allowed. Rules
 * src → dst (and a two-way rule of a group with itself) are disabled, not deleted, so plugging back
 * restores them as they were; a two-way rule between two groups keeps only its other direction.
 * The groups and rules are checked in the policy the change already read under its lock, and the
 * audit events go out with the change's record: the only statements of its own are the rules' updates.
 */
export async function unplugGroups(ctx: Ctx, queue: OperationQueue, input: z.input<typeof PlugInput>) {
  const q = PlugInput.parse(input);
  const orgId = ctx.actor.orgId;
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx, before) => {
    // both groups must be the organization's
    for (const [field, id] of [
      ["srcGroupId", q.srcGroupId],
      ["dstGroupId", q.dstGroupId],
    ] as const)
      if (!before.snapshot.groups.some((g) => g.id === id && g.orgId === orgId))
        throw new DomainError("NOT_FOUND", `${field}: group not found`, { field });
    const audit: AuditRow[] = [];
    for (const r of cellRules(before, orgId, q, { enabled: true, anyProtocol: false })) {
      const forward = r.srcGroupId === q.srcGroupId && r.dstGroupId === q.dstGroupId;
      // two-way between two groups: keep dst → src only; otherwise (one-way, or a group with itself) disable it
      const data =
        forward && r.bidirectional && q.srcGroupId !== q.dstGroupId
          ? { srcGroupId: q.dstGroupId, dstGroupId: q.srcGroupId, bidirectional: false }
          : !forward && q.srcGroupId !== q.dstGroupId
            ? { bidirectional: false }
            : { enabled: false };
      audit.push(await changeFromMatrix(tx, ctx, r, data, { unplugged: [q.srcGroupId, q.dstGroupId] }));
    }
    return { targetId: null, audit };
  });
}

export async function listRules(ctx: Ctx, input: z.infer<typeof ListRulesInput> = {}): Promise<RuleDto[]> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const rows = await ctx.db.policyRule.findMany({
    where: { orgId: ctx.actor.orgId, ...(input.vpcId ? { dstGroup: { vpcId: input.vpcId } } : {}) },
    include: { dstGroup: { select: { vpcId: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(ruleDto);
}

export async function policyMatrix(ctx: Ctx, input: z.infer<typeof MatrixInput>): Promise<MatrixDto> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const vpc = await ctx.db.vpc.findFirst({ where: { id: input.vpcId, orgId: ctx.actor.orgId } });
  if (!vpc) throw new DomainError("NOT_FOUND", "vpcId: VPC not found", { field: "vpcId" });
  const policy = await loadPolicy(ctx.db, [ctx.actor.orgId]);
  const view = new PolicyView(policy.snapshot);
  const rows = await ctx.db.group.findMany({
    where: { vpcId: vpc.id, orgId: ctx.actor.orgId },
    include: { members: { select: { instanceId: true } } },
    orderBy: { createdAt: "asc" },
  });
  return {
    vpcId: vpc.id,
    groups: rows.map((g) => groupDto(g, view, policy.instances)),
    cells: view.matrix(vpc.id, policy.instances),
  };
}
