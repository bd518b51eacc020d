import { z } from "zod";
import { idRef } from "./ids.ts";

/**
 * Connectivity policy: groups of instances, allow rules group → group (stateful: replies to an
 * allowed conversation always pass), an organization-level deny list evaluated first, and VPC
 * peering. Everything not allowed is denied.
 */

export const PolicyProtocol = z.enum(["any", "tcp", "udp", "icmp"]);
export type PolicyProtocol = z.infer<typeof PolicyProtocol>;

export const PortRange = z
  .object({ from: z.number().int().min(1).max(65535), to: z.number().int().min(1).max(65535) })
  .refine((r) => r.from <= r.to, { message: "a port range must run from low to high", path: ["to"] });
export type PortRange = z.infer<typeof PortRange>;

/** What one direction of a pair may carry: a protocol and, for tcp/udp, port ranges (none = every port). */
export const Service = z.object({ protocol: PolicyProtocol, ports: z.array(PortRange) });
export type Service = z.infer<typeof Service>;

/** Labels on an instance (`tier=web`); groups select instances by them. */
export const LabelKey = z
  .string()
  .trim()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$/,
    "label keys: lower-case letters, digits, . _ / - (starting and ending with a letter or digit)",
  );
export const LabelValue = z
  .string()
  .trim()
  .max(63)
  .regex(/^[A-Za-z0-9._-]*$/, "label values: letters, digits, . _ -");
export const Labels = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  const entries = Object.entries(labels);
  if (entries.length > 32) ctx.addIssue({ code: "custom", message: "at most 32 labels" });
  // each key and value checked on its own, so the answer names the label at fault and says why
  for (const [key, value] of entries) {
    const k = LabelKey.safeParse(key);
    if (!k.success || k.data !== key)
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `label key "${key}": ${k.success ? "no spaces around it" : k.error.issues[0]!.message}`,
      });
    const v = LabelValue.safeParse(value);
    if (!v.success || v.data !== value)
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `label "${key}" value "${value}": ${v.success ? "no spaces around it" : v.error.issues[0]!.message}`,
      });
  }
});
export type Labels = z.infer<typeof Labels>;

export const GroupDto = z.object({
  id: idRef("group"),
  vpcId: idRef("vpc"),
  name: z.string(),
  description: z.string(),
  /** instances carrying every one of these labels are members ({} = every instance of the VPC); null = explicit members only */
  matchLabels: Labels.nullable(),
  /** instances added by hand, on top of the label match */
  memberIds: z.array(idRef("instance")),
  /** instances that are members now (label match ∪ explicit), not terminated */
  effectiveMemberIds: z.array(idRef("instance")),
  createdAt: z.iso.datetime(),
});
export type GroupDto = z.infer<typeof GroupDto>;

export const RuleDto = z.object({
  id: idRef("policyRule"),
  /** the VPC of the destination group: rules belong to the side that is being reached */
  vpcId: idRef("vpc"),
  /** the source: a group (of this organization), or a whole VPC peered with the destination's (possibly another tenant's) */
  srcGroupId: idRef("group").nullable(),
  srcVpcId: idRef("vpc").nullable(),
  dstGroupId: idRef("group"),
  protocol: PolicyProtocol,
  ports: z.array(PortRange),
  /** also allows dst → src (two rules in one) */
  bidirectional: z.boolean(),
  enabled: z.boolean(),
  description: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type RuleDto = z.infer<typeof RuleDto>;

/** An organization-level guardrail, evaluated before any rule: instances matching `src` never open conversations to instances matching `dst`. */
export const DenyDto = z.object({
  id: idRef("denyRule"),
  srcLabels: Labels,
  dstLabels: Labels,
  description: z.string(),
  createdAt: z.iso.datetime(),
});
export type DenyDto = z.infer<typeof DenyDto>;

export const PeeringStatus = z.enum(["pending", "active", "rejected"]);
export type PeeringStatus = z.infer<typeof PeeringStatus>;

export const PeeringDto = z.object({
  id: idRef("peering"),
  status: PeeringStatus,
  /** the requester's VPC (always shown) and the accepter's; names of another tenant's VPC are shown once accepted */
  requester: z.object({ vpcId: z.string(), vpcName: z.string(), cidr: z.string(), orgName: z.string() }),
  accepter: z.object({
    vpcId: z.string(),
    vpcName: z.string().nullable(),
    cidr: z.string().nullable(),
    orgName: z.string(),
  }),
  /** which side the asking organization is */
  side: z.enum(["requester", "accepter", "both"]),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
});
export type PeeringDto = z.infer<typeof PeeringDto>;

/** One cell of the group × group matrix (row = from, column = to). */
export const MatrixCell = z.object({
  srcGroupId: z.string(),
  dstGroupId: z.string(),
  /** plugged: any protocol allowed; partial: some protocols/ports; unplugged: nothing */
  state: z.enum(["plugged", "partial", "unplugged"]),
  ruleIds: z.array(z.string()),
  /** a deny entry that overrides every rule for at least one member pair */
  deniedBy: z.array(z.string()),
});
export type MatrixCell = z.infer<typeof MatrixCell>;

export const MatrixDto = z.object({ vpcId: z.string(), groups: z.array(GroupDto), cells: z.array(MatrixCell) });
export type MatrixDto = z.infer<typeof MatrixDto>;

/** One instance pair whose access a change would alter. */
export const AccessChange = z.object({
  from: z.object({ instanceId: z.string(), name: z.string(), address: z.string() }),
  to: z.object({ instanceId: z.string(), name: z.string(), address: z.string() }),
  before: z.array(Service),
  after: z.array(Service),
  /** gains: nothing → something or more; loses: something → less or nothing; changes: some of both */
  change: z.enum(["gains", "loses", "changes"]),
});
export type AccessChange = z.infer<typeof AccessChange>;

export const PolicyPreviewDto = z.object({ changes: z.array(AccessChange), pairsChecked: z.number().int() });
export type PolicyPreviewDto = z.infer<typeof PolicyPreviewDto>;

/** "Can A reach B on tcp/443, and why?" answered from configuration. */
export const PolicyExplanationDto = z.object({
  from: z.object({ instanceId: z.string(), name: z.string(), address: z.string(), vpcId: z.string() }),
  to: z.object({
    instanceId: z.string().nullable(),
    name: z.string().nullable(),
    address: z.string(),
    vpcId: z.string().nullable(),
  }),
  protocol: PolicyProtocol,
  port: z.number().int().nullable(),
  allowed: z.boolean(),
  /** one sentence: which rule allows it, or which deny entry / missing rule / missing peering stops it */
  reason: z.string(),
  /** the rules that allow it (any one suffices) */
  ruleIds: z.array(z.string()),
  denyIds: z.array(z.string()),
  /** everything from → to may open, and to → from (replies are always allowed) */
  forward: z.array(Service),
  reverse: z.array(Service),
  fromGroups: z.array(z.object({ id: z.string(), name: z.string() })),
  toGroups: z.array(z.object({ id: z.string(), name: z.string() })),
  policyVersion: z.number().int(),
});
export type PolicyExplanationDto = z.infer<typeof PolicyExplanationDto>;

/** What a host's VEB holds compared with what policy implies (read back over OpenFlow by the TSC). */
export const RealizationDto = z.object({
  hostId: z.string(),
  hostName: z.string(),
  checkedAt: z.iso.datetime(),
  policyVersion: z.number().int(),
  /** pair flows read back from the VEB */
  pairFlows: z.number().int(),
  /** flows policy no longer allows (deleted when found) */
  stale: z.number().int(),
  /** flows the TSC believed installed but the VEB did not hold */
  missing: z.number().int(),
  details: z.array(z.string()),
});
export type RealizationDto = z.infer<typeof RealizationDto>;

/** What every policy change answers: the access it changes and, unless it was a preview, the operation that applies it. */
export const PolicyChangeDto = z.object({
  applied: z.boolean(),
  policyVersion: z.number().int(),
  operationId: idRef("operation").nullable(),
  /** the group, rule, deny entry or peering created or changed (null for a removal) */
  targetId: z.string().nullable(),
  ...PolicyPreviewDto.shape,
});
export type PolicyChangeDto = z.infer<typeof PolicyChangeDto>;

/**
 * One VEB's answer to a policy change (the TSC's, read by the worker into the operation's steps):
 * the host it belongs to, how many pairs it revoked, and when it confirmed.
 */
export const VebApplied = z.object({
  /** null: a VEB whose host the console does not know (its agent has not reported its datapath id) */
  hostId: z.string().nullable(),
  /** the host's name (the datapath id in hex where none is known) */
  hostName: z.string(),
  /** pairs whose flows were deleted by cookie (both directions) */
  revokedPairs: z.number().int(),
  /**
   * ms from the start of the apply to this VEB's confirmation: its barrier reply, then (where it
   * revoked pairs) its host's word that the datapath's cached flows no longer forward them
   */
  confirmedMs: z.number(),
  /** ms from the start of the apply to the barrier reply alone */
  barrierMs: z.number().optional(),
  /** what became of the datapath's cached flows (settled after how long, or why it is not known) */
  datapath: z.string().optional(),
  /** wall-clock ms (epoch) when the TSC started applying the change (the start `confirmedMs` counts from) */
  startedAtMs: z.number().optional(),
  error: z.string().nullable(),
});
export type VebApplied = z.infer<typeof VebApplied>;
