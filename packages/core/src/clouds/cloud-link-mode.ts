import type { CloudLinkDto, SetCloudLinkModeInput } from "@nvi/contracts";
import { ROLE_RANK, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { cloudPairKey, listCloudLinks } from "./cloud-links.ts";

/**
 * `cloud.setLinkMode` (issue 15): how pairs between two of the organization's gateway clouds cross,
 * `encrypted` (WireGuard between their gateways, the default) or `direct` (a trusted direct link: a
 * private interconnect routes each gateway's instance block to it; packages/controller README,
 * "Trusted direct links"). The worker hands the direct links to the TSC at its next fabric read
 * (within 5 s), and the TSC moves the pairs between those clouds to the new path at once. Only an
 * owner or admin says a link is trusted; the change is audited.
 */
export async function setCloudLinkMode(ctx: Ctx, input: SetCloudLinkModeInput): Promise<CloudLinkDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  if (ROLE_RANK[ctx.actor.role] < ROLE_RANK.admin)
    throw new DomainError("ROLE_TOO_LOW", "only an owner or admin says how clouds are linked");
  if (input.cloudId === input.peerCloudId)
    throw new DomainError("SAME_CLOUD", "a link joins two different clouds: peerCloudId names this cloud", {
      field: "peerCloudId",
    });
  const [cloudAId, cloudBId] =
    input.cloudId < input.peerCloudId ? [input.cloudId, input.peerCloudId] : [input.peerCloudId, input.cloudId];
  await ctx.db.$transaction(async (tx) => {
    // another organization's cloud is not found, whichever side names it
    const clouds = await tx.cloud.findMany({
      where: { id: { in: [input.cloudId, input.peerCloudId] }, orgId: ctx.actor.orgId },
      select: { id: true, name: true, interconnect: true },
    });
    if (clouds.length < 2) throw notFound("cloud");
    for (const [id, field] of [
      [input.cloudId, "cloudId"],
      [input.peerCloudId, "peerCloudId"],
    ] as const) {
      const cloud = clouds.find((c) => c.id === id);
      if (cloud && cloud.interconnect !== "gateway")
        throw new DomainError(
          "NOT_A_GATEWAY_CLOUD",
          `cloud "${cloud.name}" reaches other clouds on the routed fabric, not through gateways: it has no link to set`,
          { field },
        );
    }
    const before = await tx.cloudLink.findUnique({
      where: { cloudAId_cloudBId: { cloudAId, cloudBId } },
      select: { mode: true },
    });
    await tx.cloudLink.upsert({
      where: { cloudAId_cloudBId: { cloudAId, cloudBId } },
      create: { orgId: ctx.actor.orgId, cloudAId, cloudBId, mode: input.mode, updatedBy: ctx.actor.userId },
      update: { mode: input.mode, updatedBy: ctx.actor.userId },
    });
    if ((before?.mode ?? "encrypted") === input.mode) return; // already so: nothing to record
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "cloud.link.set",
      targetType: "cloud",
      targetId: input.cloudId,
      before: { peerCloudId: input.peerCloudId, mode: before?.mode ?? "encrypted" },
      after: { peerCloudId: input.peerCloudId, mode: input.mode },
    });
  });
  const key = cloudPairKey(cloudAId, cloudBId);
  const link = (await listCloudLinks(ctx)).find((l) => cloudPairKey(l.a.cloudId, l.b.cloudId) === key);
  if (!link) throw notFound("cloud");
  return link;
}
