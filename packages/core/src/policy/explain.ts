import { PolicyExplanationDto, PolicyProtocol, RealizationDto, idRef } from "@nvi/contracts";
import { PolicyView } from "@nvi/policy";
import { z } from "zod";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { loadPolicy } from "./snapshot.ts";

export const ExplainInput = z
  .object({
    instanceId: idRef("instance"),
    toInstanceId: idRef("instance").optional(),
    /** an address in the instance's VPC or a peered one */
    toAddress: z.ipv4("toAddress: an IPv4 address").optional(),
    protocol: PolicyProtocol.default("any"),
    port: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((v, issue) => {
    if ((v.toInstanceId === undefined) === (v.toAddress === undefined))
      issue.addIssue({
        code: "custom",
        path: ["toInstanceId"],
        message: "toInstanceId: give the target instance or toAddress (one of them)",
      });
    if (v.port !== undefined && v.protocol !== "tcp" && v.protocol !== "udp")
      issue.addIssue({ code: "custom", path: ["port"], message: "port: only for tcp or udp" });
  });

/**
 * "Can A reach B on tcp/443, and why?" from configuration: the deny list, the rules and the
 * peerings as they are now, evaluated by the same code the TSC compiles flows from. The data
 * path's answers (a live probe, a trace through the VEB's flows) are beside it.
 */
export async function explainReachability(
  ctx: Ctx,
  input: z.input<typeof ExplainInput>,
): Promise<PolicyExplanationDto> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const q = ExplainInput.parse(input);
  const orgId = ctx.actor.orgId;
  const policy = await loadPolicy(ctx.db, [orgId]);
  const view = new PolicyView(policy.snapshot);
  const from = policy.instances.find((i) => i.id === q.instanceId && i.orgId === orgId);
  if (!from) throw notFound("instance");
  const to =
    q.toInstanceId !== undefined
      ? policy.instances.find((i) => i.id === q.toInstanceId && i.orgId === orgId)
      : policy.instances.find((i) => i.address === q.toAddress && view.peered(from.vpcId, i.vpcId));
  if (q.toInstanceId !== undefined && !to)
    throw new DomainError("NOT_FOUND", "toInstanceId: instance not found", { field: "toInstanceId" });
  const org = await ctx.db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { policyVersion: true } });
  const probe = { protocol: q.protocol, port: q.port ?? null };
  const groupsOf = (i: typeof from) =>
    i.orgId === orgId ? view.groupsOf(i).map((g) => ({ id: g.id, name: g.name })) : [];
  const fromDto = { instanceId: from.id, name: from.name, address: from.address, vpcId: from.vpcId };
  if (!to) {
    return {
      from: fromDto,
      to: { instanceId: null, name: null, address: q.toAddress!, vpcId: null },
      ...probe,
      allowed: false,
      ruleIds: [],
      denyIds: [],
      forward: [],
      reverse: [],
      fromGroups: groupsOf(from),
      toGroups: [],
      reason: `no instance holds ${q.toAddress} in ${from.name}'s VPC or a VPC peered with it: nothing there to reach`,
      policyVersion: org.policyVersion,
    };
  }
  const other = to.orgId === orgId;
  const answer = view.explain(from, to, probe);
  return {
    from: fromDto,
    to: {
      instanceId: other ? to.id : null,
      name: other ? to.name : `${to.address} (peer tenant)`,
      address: to.address,
      vpcId: other ? to.vpcId : null,
    },
    ...probe,
    allowed: answer.allowed,
    reason: answer.reason,
    ruleIds: answer.ruleIds,
    denyIds: answer.denyIds,
    forward: answer.services,
    reverse: view.decide(to, from).services,
    fromGroups: groupsOf(from),
    toGroups: groupsOf(to),
    policyVersion: org.policyVersion,
  };
}

/** What the TSC last read back from each host's VEB against what policy implies (drift). */
export async function listRealization(ctx: Ctx): Promise<RealizationDto[]> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const rows = await ctx.db.policyRealization.findMany({
    where: { host: { orgId: ctx.actor.orgId } },
    include: { host: { select: { name: true } } },
    orderBy: { host: { name: "asc" } },
  });
  return rows.map((r) => ({
    hostId: r.hostId,
    hostName: r.host.name,
    checkedAt: r.checkedAt.toISOString(),
    policyVersion: r.policyVersion,
    pairFlows: r.pairFlows,
    stale: r.stale,
    missing: r.missing,
    details: z.array(z.string()).catch([]).parse(r.details),
  }));
}
