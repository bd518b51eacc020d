import { DenyDto, Labels, idRef, asId } from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import type { OperationQueue } from "../operations/queue.ts";
import { changePolicy, previewFlag } from "./change.ts";
import { labelsOf } from "./snapshot.ts";

const preview = previewFlag;

export const CreateDenyInput = z.object({
  srcLabels: Labels,
  dstLabels: Labels,
  description: z.string().trim().max(200).default(""),
  preview,
});
export const DenyRef = z.object({ denyId: idRef("denyRule"), preview });

function denyDto(d: {
  id: string;
  srcLabels: unknown;
  dstLabels: unknown;
  description: string;
  createdAt: Date;
}): DenyDto {
  return {
    id: asId("denyRule", d.id),
    srcLabels: labelsOf(d.srcLabels),
    dstLabels: labelsOf(d.dstLabels),
    description: d.description,
    createdAt: d.createdAt.toISOString(),
  };
}

export async function listDenies(ctx: Ctx): Promise<DenyDto[]> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const rows = await ctx.db.denyRule.findMany({ where: { orgId: ctx.actor.orgId }, orderBy: { createdAt: "asc" } });
  return rows.map(denyDto);
}

/** A guardrail evaluated before every rule (`env=prod` never opens to `env=dev`). One side must name a label: an empty pair would deny everything. */
export async function createDeny(ctx: Ctx, queue: OperationQueue, input: z.input<typeof CreateDenyInput>) {
  const q = CreateDenyInput.parse(input);
  if (Object.keys(q.srcLabels).length === 0 && Object.keys(q.dstLabels).length === 0) {
    throw new DomainError(
      "VALIDATION_FAILED",
      "srcLabels: name at least one label on one side (an entry matching everything would cut every connection)",
      { field: "srcLabels" },
    );
  }
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const denyId = ctx.newId("denyRule");
    await tx.denyRule.create({
      data: {
        id: denyId,
        orgId: ctx.actor.orgId,
        srcLabels: q.srcLabels,
        dstLabels: q.dstLabels,
        description: q.description,
      },
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.deny.created",
      targetType: "deny",
      targetId: denyId,
      after: { srcLabels: q.srcLabels, dstLabels: q.dstLabels, description: q.description },
    });
    return { targetId: denyId };
  });
}

export async function deleteDeny(ctx: Ctx, queue: OperationQueue, input: z.input<typeof DenyRef>) {
  const q = DenyRef.parse(input);
  return changePolicy(ctx, queue, { preview: q.preview }, async (tx) => {
    const d = await tx.denyRule.findFirst({ where: { id: q.denyId, orgId: ctx.actor.orgId } });
    if (!d) throw new DomainError("NOT_FOUND", "denyId: deny entry not found", { field: "denyId" });
    await tx.denyRule.delete({ where: { id: d.id } });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "policy.deny.deleted",
      targetType: "deny",
      targetId: d.id,
      before: { srcLabels: d.srcLabels, dstLabels: d.dstLabels, description: d.description },
    });
    return { targetId: null };
  });
}
