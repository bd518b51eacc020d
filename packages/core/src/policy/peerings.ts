import { PeeringDto, idRef, asId } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { overlaps, parseCidr, type Cidr } from "../net/cidr.ts";
import { changePolicy, previewFlag, lockPolicy } from "./change.ts";

const preview = previewFlag;

export const RequestPeeringInput = z.object({
  /** your VPC */
  vpcId: idRef("vpc"),
  /** the other VPC: yours (active at once) or another tenant's id, given to you by them (pending until they accept) */
  peerVpcId: idRef("vpc"),
  preview,
});
export const PeeringRef = z.object({ peeringId: idRef("peering"), preview });

type PeeringRow = {
  id: string;
  status: string;
  requesterOrgId: string;
  accepterOrgId: string;
  createdAt: Date;
  decidedAt: Date | null;
  requesterVpc: { id: string; name: string; cidr: string; organization: { name: string } };
  accepterVpc: { id: string; name: string; cidr: string; organization: { name: string } };
};
const withVpcs = {
  requesterVpc: { include: { organization: { select: { name: true } } } },
  accepterVpc: { include: { organization: { select: { name: true } } } },
} as const;

function peeringDto(p: PeeringRow, orgId: string): PeeringDto {
  const side =
    p.requesterOrgId === orgId && p.accepterOrgId === orgId
      ? "both"
      : p.requesterOrgId === orgId
        ? "requester"
        : "accepter";
  // the requester sees the accepter's VPC name and range only once accepted (it named the VPC by id)
  const showAccepter = side !== "requester" || p.status === "active";
  return {
    id: asId("peering", p.id),
    status: p.status === "active" ? "active" : p.status === "rejected" ? "rejected" : "pending",
    side,
    requester: {
      vpcId: p.requesterVpc.id,
      vpcName: p.requesterVpc.name,
      cidr: p.requesterVpc.cidr,
      orgName: p.requesterVpc.organization.name,
    },
    accepter: {
      vpcId: p.accepterVpc.id,
      vpcName: showAccepter ? p.accepterVpc.name : null,
      cidr: showAccepter ? p.accepterVpc.cidr : null,
      orgName: p.accepterVpc.organization.name,
    },
    createdAt: p.createdAt.toISOString(),
    decidedAt: p.decidedAt?.toISOString() ?? null,
  };
}

export async function listPeerings(ctx: Ctx): Promise<PeeringDto[]> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const rows = await ctx.db.vpcPeering.findMany({
    where: { OR: [{ requesterOrgId: ctx.actor.orgId }, { accepterOrgId: ctx.actor.orgId }] },
    include: withVpcs,
    orderBy: { createdAt: "asc" },
  });
  return rows.map((p) => peeringDto(p, ctx.actor.orgId));
}

/** Peered VPCs are routed to each other without address translation, so their ranges must not overlap. */
function assertNoOverlap(a: { cidr: string }, b: { cidr: string; name: string }, o: { sameTenant: boolean }): void {
  if (!overlaps(parseCidr(a.cidr) as Cidr, parseCidr(b.cidr) as Cidr)) return;
  const what = o.sameTenant ? `VPC "${b.name}" (${b.cidr})` : `the requesting VPC's range ${a.cidr}`;
  throw new DomainError(
    "CIDR_OVERLAP",
    `${o.sameTenant ? a.cidr : b.cidr} overlaps ${what}: cannot peer (peered VPCs must not overlap; renumber one of them)`,
    { field: o.sameTenant ? "peerVpcId" : "peeringId" },
  );
}

/**
 * Asking to peer with another tenant's VPC is answered the same whatever that VPC holds: pending,
 * until its owner consents. Nothing about their range (not even whether it overlaps yours) is
 * said before then; the overlap is checked when they accept, where they see both ranges. Each
 * attempt, a preview included, goes into the other organization's audit log, so a tenant probing
 * another's VPC ids is seen by the one probed.
 */
export async function requestPeering(ctx: Ctx, queue: OperationQueue, input: z.input<typeof RequestPeeringInput>) {
  const q = RequestPeeringInput.parse(input);
  if (q.vpcId === q.peerVpcId)
    throw new DomainError("VALIDATION_FAILED", "peerVpcId: a VPC cannot peer with itself", { field: "peerVpcId" });
  const target = await ctx.db.vpc.findUnique({ where: { id: q.peerVpcId }, select: { orgId: true } });
  if (target && target.orgId !== ctx.actor.orgId) {
    await recordAudit(
      ctx.db,
      ctx,
      { ...subjectOf(ctx.actor), orgId: target.orgId },
      {
        action: "policy.peering.asked",
        targetType: "vpc",
        targetId: q.peerVpcId,
        after: { requesterOrgId: ctx.actor.orgId, requesterVpcId: q.vpcId, preview: q.preview },
      },
    );
  }
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const mine = await tx.vpc.findFirst({ where: { id: q.vpcId, orgId: ctx.actor.orgId } });
    if (!mine) throw new DomainError("NOT_FOUND", "vpcId: VPC not found", { field: "vpcId" });
    const peer = await tx.vpc.findUnique({ where: { id: q.peerVpcId } });
    if (!peer) throw new DomainError("NOT_FOUND", "peerVpcId: VPC not found", { field: "peerVpcId" });
    const sameTenant = peer.orgId === ctx.actor.orgId;
    if (sameTenant) assertNoOverlap(mine, peer, { sameTenant: true });
    const existing = await tx.vpcPeering.findFirst({
      where: {
        OR: [
          { requesterVpcId: mine.id, accepterVpcId: peer.id },
          { requesterVpcId: peer.id, accepterVpcId: mine.id },
        ],
      },
    });
    if (existing && existing.status !== "rejected")
      throw new DomainError("DUPLICATE_NAME", `these VPCs already have a peering (${existing.status})`, {
        field: "peerVpcId",
      });
    if (existing) await tx.vpcPeering.delete({ where: { id: existing.id } });
    const peeringId = ctx.newId("peering");
    const status = sameTenant ? "active" : "pending";
    await tx.vpcPeering.create({
      data: {
        id: peeringId,
        requesterOrgId: ctx.actor.orgId,
        requesterVpcId: mine.id,
        accepterOrgId: peer.orgId,
        accepterVpcId: peer.id,
        status,
        requestedBy: ctx.actor.email,
        decidedAt: sameTenant ? ctx.clock() : null,
        decidedBy: sameTenant ? ctx.actor.email : null,
      },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.peering.requested",
      targetType: "peering",
      targetId: peeringId,
      after: { vpcId: mine.id, peerVpcId: peer.id, status },
    });
    return { targetId: peeringId };
  });
}

async function peeringFor(tx: DbTx, ctx: Ctx, peeringId: string) {
  const p = await tx.vpcPeering.findFirst({
    where: { id: peeringId, OR: [{ requesterOrgId: ctx.actor.orgId }, { accepterOrgId: ctx.actor.orgId }] },
    include: withVpcs,
  });
  if (!p) throw new DomainError("NOT_FOUND", "peeringId: peering not found", { field: "peeringId" });
  return p;
}

/** The accepter's side says yes (or no). Both organizations' policy changes: the requester's version goes up too. */
export async function decidePeering(
  ctx: Ctx,
  queue: OperationQueue,
  input: z.input<typeof PeeringRef> & { accept: boolean },
) {
  const q = PeeringRef.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const p = await peeringFor(tx, ctx, q.peeringId);
    if (p.accepterOrgId !== ctx.actor.orgId)
      throw new DomainError("OPERATION_STATE", "only the accepting side can accept or reject a peering", {
        field: "peeringId",
      });
    if (p.status !== "pending")
      throw new DomainError("OPERATION_STATE", `this peering is ${p.status}, not pending`, { field: "peeringId" });
    if (input.accept) assertNoOverlap(p.requesterVpc, p.accepterVpc, { sameTenant: false });
    await lockPolicy(tx, p.requesterOrgId);
    const status = input.accept ? "active" : "rejected";
    await tx.vpcPeering.update({
      where: { id: p.id },
      data: { status, decidedAt: ctx.clock(), decidedBy: ctx.actor.email },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: input.accept ? "policy.peering.accepted" : "policy.peering.rejected",
      targetType: "peering",
      targetId: p.id,
      before: { status: p.status },
      after: { status },
    });
    return { targetId: p.id, alsoOrgs: [p.requesterOrgId] };
  });
}

/** Either side can end a peering; rules that named the other VPC go with it, and pairs across it are revoked. */
export async function deletePeering(ctx: Ctx, queue: OperationQueue, input: z.input<typeof PeeringRef>) {
  const q = PeeringRef.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const p = await peeringFor(tx, ctx, q.peeringId);
    const other = p.requesterOrgId === ctx.actor.orgId ? p.accepterOrgId : p.requesterOrgId;
    if (other !== ctx.actor.orgId) await lockPolicy(tx, other);
    await tx.policyRule.deleteMany({
      where: {
        OR: [
          { srcVpcId: p.requesterVpcId, dstGroup: { vpcId: p.accepterVpcId } },
          { srcVpcId: p.accepterVpcId, dstGroup: { vpcId: p.requesterVpcId } },
        ],
      },
    });
    await tx.vpcPeering.delete({ where: { id: p.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.peering.deleted",
      targetType: "peering",
      targetId: p.id,
      before: { status: p.status, requesterVpcId: p.requesterVpcId, accepterVpcId: p.accepterVpcId },
    });
    return { targetId: null, alsoOrgs: [other] };
  });
}
