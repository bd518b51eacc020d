import { grants } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";

/**
 * What the serial console and a container's logs share (issue 17, items 5 and 6): a look inside an
 * instance takes what changing it takes, `instances:write` in its own organization (another
 * organization's instance is "not found"), and every attempt, granted or refused, is an audit row
 * in the asker's organization (`after.outcome`, `after.reason`, and what the caller adds). A refusal
 * for another organization's instance names only the id asked for.
 */
export async function auditedInstanceAccess(
  ctx: Ctx,
  o: { instanceId: string; action: string; scopeMessage: string; details?: Record<string, unknown> },
) {
  const audit = (outcome: "granted" | "refused", reason?: string) =>
    recordAudit(ctx.db, ctx, subjectOf(ctx.actor), {
      action: o.action,
      targetType: "instance",
      targetId: o.instanceId,
      after: { outcome, ...o.details, ...(reason ? { reason } : {}) },
    });
  if (!grants(ctx.actor.scopes, "instances", "write")) {
    await audit("refused", "missing the instances:write scope");
    throw new DomainError("MISSING_SCOPE", o.scopeMessage, { missing: ["instances:write"] });
  }
  const row = await ctx.db.instance.findFirst({
    where: { id: o.instanceId, orgId: ctx.actor.orgId },
    select: { id: true, name: true, hostId: true, runtime: true, status: true },
  });
  if (!row) {
    await audit("refused", "not found");
    throw notFound("instance");
  }
  return { row, audit };
}
