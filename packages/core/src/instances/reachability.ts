import type { CommandResult, HostCommandBody, ProbeRequest, ReachabilityDto } from "@nvi/contracts";
import { CheckReachabilityInput, probeSourceProblem } from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { storedFacts } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { awaitCommand } from "./commands.ts";

/**
 * "Can A reach B?" answered by the data path itself: the agent on A's host sends a live probe from
 * inside A's own network namespace (an ICMP echo or a TCP connect), or for a VM from inside its
 * guest through qemu-guest-agent, and reports what came back.
 * Nothing is changed; the probe is a command without an operation and is deleted once answered.
 */
export const PROBE_WAIT_MS = 15_000;

/** A read-only question to a host's agent, outside any operation: the command is deleted once answered (or given up on). */
export async function askOnce(
  ctx: Ctx,
  hostId: string,
  body: Extract<HostCommandBody, { kind: "instance.probe" | "veb.trace" | "instance.logs" }>,
): Promise<CommandResult> {
  const commandId = ctx.newId("hostCommand");
  await ctx.db.hostCommand.create({ data: { id: commandId, hostId, kind: body.kind, payload: body } });
  return awaitCommand(ctx, commandId, PROBE_WAIT_MS).finally(() =>
    ctx.db.hostCommand.deleteMany({ where: { id: commandId } }),
  );
}

/** Sending packets from a tenant's instance (as root on its host) is an action: it needs instances:write. */
export async function checkReachability(
  ctx: Ctx,
  input: z.infer<typeof CheckReachabilityInput>,
): Promise<ReachabilityDto> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const orgId = ctx.actor.orgId;
  const from = await ctx.db.instance.findFirst({
    where: { id: input.instanceId, orgId },
    include: { host: { select: { name: true, facts: true } } },
  });
  if (!from) throw notFound("instance");
  // a VM's probe goes through its guest agent: only a guest its host reports running one can send it
  const guestsWithAgent = from.runtime === "qemu" ? (storedFacts(from.host.facts).images.qemuGuestAgent ?? []) : [];
  const problem = probeSourceProblem(from, guestsWithAgent);
  if (problem !== null && from.status === "running")
    throw new DomainError("VALIDATION_FAILED", `instance ${from.name}: ${problem}`, { field: "instanceId" });
  if (problem !== null)
    throw new DomainError("INSTANCE_STATE", `instance ${from.name} is ${problem}`, { field: "instanceId" });
  let to: ReachabilityDto["to"];
  if (input.toInstanceId !== undefined) {
    const target = await ctx.db.instance.findFirst({
      where: { id: input.toInstanceId, orgId, status: { not: "terminated" } },
    });
    if (!target) throw new DomainError("NOT_FOUND", "toInstanceId: instance not found", { field: "toInstanceId" });
    to = { address: target.address, instanceId: target.id, name: target.name };
  } else {
    to = { address: input.toAddress!, instanceId: null, name: null };
  }
  const probe: ProbeRequest = {
    instanceId: from.id,
    runtime: from.runtime,
    target: to.address,
    protocol: input.protocol,
    port: input.port ?? null,
  };
  const answer = await askOnce(ctx, from.hostId, { kind: "instance.probe", probe });
  if (!answer.ok || !answer.probe)
    throw new DomainError(
      "HOST_UNAVAILABLE",
      `the probe could not be sent: ${answer.error ?? "the agent gave no probe result"}`,
      { field: "instanceId" },
    );
  return {
    from: { instanceId: from.id, name: from.name, address: from.address, hostName: from.host.name },
    to,
    protocol: input.protocol,
    port: input.port ?? null,
    reachable: answer.probe.result === "open",
    ...answer.probe,
    checkedAt: ctx.clock().toISOString(),
  };
}
