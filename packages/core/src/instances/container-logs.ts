import { InstanceLogsInput, stripControlSequences, type InstanceLogsDto } from "@nvi/contracts";
import { subjectOf } from "../audit/audit.ts";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { auditedInstanceAccess } from "./instance-access.ts";
import { askOnce } from "./reachability.ts";

/**
 * A container's recent output in the console (issue 17, item 6), fetched from its host's agent on
 * demand: a read-only command with a bounded answer (at most LOG_LIMITS.maxLines lines and
 * LOG_LIMITS.maxBytes), deleted once answered. Logs can hold what the workload prints, secrets
 * included, so reading them takes what the serial console takes: `instances:write` in the
 * instance's own organization (an instance of another organization is "not found"). Every attempt
 * is audited in the asker's organization, and one person (or token) may ask at most
 * LOGS_PER_MINUTE times a minute, counted on those audit rows (checked before anything is written,
 * so a flood of asks is not a flood of rows). Terminal control sequences are removed here, on the
 * console's side: what a container printed is not trusted to be plain text.
 */
export const INSTANCE_LOGS_ACTION = "instance.logs";
export const LOGS_PER_MINUTE = 30;

/** A container exists on its host from its start until it is removed. */
const HAS_CONTAINER = new Set(["starting", "running", "stopping", "stopped", "failed"]);

export async function readInstanceLogs(
  ctx: Ctx,
  raw: { instanceId: string; lines?: number | undefined },
): Promise<InstanceLogsDto> {
  const input = InstanceLogsInput.parse(raw);
  const recent = await ctx.db.auditEvent.count({
    where: {
      orgId: ctx.actor.orgId,
      action: INSTANCE_LOGS_ACTION,
      actorId: subjectOf(ctx.actor).actorId,
      at: { gt: new Date(ctx.clock().getTime() - 60_000) },
    },
  });
  if (recent >= LOGS_PER_MINUTE)
    throw new DomainError("RATE_LIMITED", `at most ${LOGS_PER_MINUTE} log reads a minute; wait a little`, {
      retryAfterSeconds: 60,
    });
  const { row, audit } = await auditedInstanceAccess(ctx, {
    instanceId: input.instanceId,
    action: INSTANCE_LOGS_ACTION,
    scopeMessage: "a container's logs need the instances:write scope (a viewer has none)",
    details: { lines: input.lines },
  });
  if (row.runtime !== "docker") {
    await audit("refused", `a ${row.runtime} instance has no container logs`);
    throw new DomainError(
      "INSTANCE_STATE",
      `${row.name} is a ${row.runtime} instance: only containers have logs here${row.runtime === "qemu" ? " (a VM has its serial console)" : ""}`,
    );
  }
  if (!HAS_CONTAINER.has(row.status)) {
    await audit("refused", `instance is ${row.status}`);
    throw new DomainError("INSTANCE_STATE", `${row.name} is ${row.status}: it has no container on its host`);
  }
  await audit("granted");
  const answer = await askOnce(ctx, row.hostId, {
    kind: "instance.logs",
    instanceId: row.id,
    runtime: row.runtime,
    lines: input.lines,
  });
  if (!answer.ok || !answer.logs)
    throw new DomainError(
      "HOST_UNAVAILABLE",
      `the logs could not be read: ${stripControlSequences(answer.error ?? "the agent sent no logs")}`,
    );
  return {
    instanceId: row.id,
    name: row.name,
    lines: input.lines,
    text: stripControlSequences(answer.logs.text),
    truncated: answer.logs.truncated,
    fetchedAt: ctx.clock().toISOString(),
  };
}
