import { SerialAttachDto, SerialSessionId, SerialTicketDto, SerialWaitDto } from "@nvi/contracts";
import {
  DomainError,
  SerialConsoleInput,
  actorLabel,
  assertSerialTargetOnHost,
  authorizeSerialConsole,
} from "@nvi/core";
import { z } from "zod";
import type { ApiContext } from "../context.ts";
import type { SerialGate } from "../serial/sessions.ts";
import { authedProcedure, hostProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

function gateOf(ctx: ApiContext): SerialGate {
  if (!ctx.serial)
    throw new DomainError("HOST_UNAVAILABLE", "this console serves no serial console (it runs without its relay)");
  return ctx.serial;
}

/** A person's (or token's) ticket for a VM's serial console: authorized and audited by the core. */
export const serialConsoleRouter = router({
  open: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances/{instanceId}/serial-console",
        "instances",
        "A one-time ticket (30 s) for a running VM's serial console over a WebSocket at `path?ticket=` (instances:write; every attempt is audited)",
      ),
    )
    .input(SerialConsoleInput)
    .output(SerialTicketDto)
    .mutation(async ({ ctx, input }) => {
      // the rate first (a flood of asks is not a flood of audit rows), then who may, then the ticket
      await ctx.serial?.admit(`${ctx.core.actor.orgId}:${ctx.core.actor.tokenId ?? ctx.core.actor.userId}`);
      const target = await authorizeSerialConsole(ctx.core, input);
      return gateOf(ctx).open(target, actorLabel(ctx.core.actor));
    }),
});

/** The agent's side: a long poll for sessions on its VMs, and a ticket for one of them (host credential). */
export const agentSerialRouter = router({
  wait: hostProcedure
    .meta(
      rest(
        "POST",
        "/agent/serial/wait",
        "agent",
        "An agent waits (up to 20 s) for serial console sessions on its VMs (host credential)",
      ),
    )
    .input(z.object({}).strict())
    .output(SerialWaitDto)
    .mutation(({ ctx }) => gateOf(ctx).waitFor(ctx.host)),
  attach: hostProcedure
    .meta(
      rest(
        "POST",
        "/agent/serial/{sessionId}/attach",
        "agent",
        "An agent's one-time ticket to carry one serial console session of a VM it runs (host credential)",
      ),
    )
    .input(z.object({ sessionId: SerialSessionId }))
    .output(SerialAttachDto)
    .mutation(({ ctx, input }) =>
      gateOf(ctx).attach(ctx.host, input.sessionId, (instanceId) =>
        assertSerialTargetOnHost(ctx.deps, ctx.host, instanceId),
      ),
    ),
});
