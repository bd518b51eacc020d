import { UnderlayDscp, idRef } from "@nvi/contracts";
import { z } from "zod";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { assertScope } from "../access.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { changePolicySetting, previewFlag } from "./change.ts";

export const SetUnderlayDscpInput = z.object({ vpcId: idRef("vpc"), underlayDscp: UnderlayDscp, preview: previewFlag });

/**
 * The DSCP a VPC's packets carry on the underlay (what its instances mark themselves never leaves
 * their host). A policy change like any other: one transaction, one operation, and the TSC
 * re-marks the VPC's pairs on every VEB (their flows are set up again with the new mark at the
 * next packet). Who may reach whom does not change, so a preview lists no pair. Needs vpcs:write
 * and policies:write.
 */
export async function setUnderlayDscp(ctx: Ctx, queue: OperationQueue, input: z.input<typeof SetUnderlayDscpInput>) {
  const q = SetUnderlayDscpInput.parse(input);
  assertScope(ctx.actor.scopes, "vpcs", "write"); // and policies:write, as every policy change
  return changePolicySetting(ctx, queue, q.preview, {
    find: (tx) => tx.vpc.findFirst({ where: { id: q.vpcId, orgId: ctx.actor.orgId } }),
    missing: new DomainError("NOT_FOUND", "vpcId: VPC not found", { field: "vpcId" }),
    write: (tx, vpc) => tx.vpc.update({ where: { id: vpc.id }, data: { underlayDscp: q.underlayDscp } }),
    audit: {
      action: "vpc.underlay_dscp.changed",
      targetType: "vpc",
      before: (vpc) => ({ underlayDscp: vpc.underlayDscp }),
      after: { underlayDscp: q.underlayDscp },
    },
  });
}
