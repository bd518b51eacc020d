import { CommandResult, HostCommandDto, idRef, InstanceDto, InstanceInventoryItem, OperationDto } from "@nvi/contracts";
import {
  DomainError,
  InstanceRef,
  cancelOperation,
  LaunchInstanceInput,
  LifecycleInput,
  ListInstancesInput,
  ListOperationsInput,
  OperationRef,
  completeCommand,
  getInstance,
  getOperation,
  launchInstance,
  listInstances,
  listOperations,
  pullCommands,
  restartInstance,
  retryOperation,
  startInstance,
  stopInstance,
  terminateInstance,
  type OperationQueue,
} from "@nvi/core";
import { z } from "zod";
import type { ApiContext } from "../context.ts";
import { authedProcedure, hostProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

/** The server's queue; without one, a change is refused when it gets to queueing (after every check). */
export function queueOf(ctx: ApiContext): OperationQueue {
  return (
    ctx.operations ?? {
      enqueue: () =>
        Promise.reject(
          new DomainError("HOST_UNAVAILABLE", "the job queue is not configured on this server (REDIS_URL)"),
        ),
    }
  );
}

const Launched = z.object({ instance: InstanceDto, operationId: z.string() });

export const instanceRouter = router({
  list: authedProcedure
    .meta(
      rest("GET", "/instances", "instances", "Instances of the organization (not terminated), optionally of one VPC"),
    )
    .input(ListInstancesInput)
    .output(z.array(InstanceDto))
    .query(({ ctx, input }) => listInstances(ctx.core, input)),
  get: authedProcedure
    .meta(rest("GET", "/instances/{instanceId}", "instances", "One instance: status, address, host"))
    .input(InstanceRef)
    .output(InstanceDto)
    .query(({ ctx, input }) => getInstance(ctx.core, input)),
  launch: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances",
        "instances",
        "Launch an instance into a subnet (on a host, or placed automatically); returns it with the operation tracking it (instances:write)",
      ),
    )
    .input(LaunchInstanceInput)
    .output(Launched)
    .mutation(({ ctx, input }) => launchInstance(ctx.core, queueOf(ctx), input)),
  terminate: authedProcedure
    .meta(
      rest(
        "DELETE",
        "/instances/{instanceId}",
        "instances",
        "Terminate an instance: unplugged, removed from its host, address released (instances:write)",
      ),
    )
    .input(InstanceRef)
    .output(Launched)
    .mutation(({ ctx, input }) => terminateInstance(ctx.core, queueOf(ctx), input)),
  stop: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances/{instanceId}/stop",
        "instances",
        "Stop a running instance: out of the TSC, workload stopped; it keeps its address (instances:write)",
      ),
    )
    .input(LifecycleInput)
    .output(Launched)
    .mutation(({ ctx, input }) => stopInstance(ctx.core, queueOf(ctx), input)),
  start: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances/{instanceId}/start",
        "instances",
        "Start a stopped (or failed) instance with the same address (instances:write)",
      ),
    )
    .input(LifecycleInput)
    .output(Launched)
    .mutation(({ ctx, input }) => startInstance(ctx.core, queueOf(ctx), input)),
  restart: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances/{instanceId}/restart",
        "instances",
        "Stop and start a running instance in one operation (instances:write)",
      ),
    )
    .input(LifecycleInput)
    .output(Launched)
    .mutation(({ ctx, input }) => restartInstance(ctx.core, queueOf(ctx), input)),
});

export const operationRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/operations", "operations", "Operations, newest first (status and target filters)"))
    .input(ListOperationsInput)
    .output(z.array(OperationDto))
    .query(({ ctx, input }) => listOperations(ctx.core, input)),
  get: authedProcedure
    .meta(rest("GET", "/operations/{operationId}", "operations", "One operation with its steps and progress"))
    .input(OperationRef)
    .output(OperationDto)
    .query(({ ctx, input }) => getOperation(ctx.core, input)),
  retry: authedProcedure
    .meta(
      rest("POST", "/operations/{operationId}/retry", "operations", "Run a failed operation again (instances:write)"),
    )
    .input(OperationRef)
    .output(OperationDto)
    .mutation(({ ctx, input }) => retryOperation(ctx.core, queueOf(ctx), input)),
  cancel: authedProcedure
    .meta(
      rest(
        "POST",
        "/operations/{operationId}/cancel",
        "operations",
        "Cancel a queued operation at once, or a running one at its next safe step (what it did is undone); terminates are not cancelled (instances:write)",
      ),
    )
    .input(OperationRef)
    .output(OperationDto)
    .mutation(({ ctx, input }) => cancelOperation(ctx.core, input)),
});

/** The agent's command channel: it polls (outbound), reporting its inventory, and posts results. */
export const agentCommandRouter = router({
  poll: hostProcedure
    .meta(
      rest(
        "POST",
        "/agent/commands",
        "agent",
        "An agent fetches its pending commands and reports the instances it has (host credential)",
      ),
    )
    .input(z.object({ inventory: z.array(InstanceInventoryItem).max(5000) }))
    .output(z.object({ commands: z.array(HostCommandDto), missing: z.array(z.string()) }))
    .mutation(({ ctx, input }) => pullCommands(ctx.deps, ctx.host, input.inventory)),
  result: hostProcedure
    .meta(
      rest(
        "POST",
        "/agent/commands/{commandId}/result",
        "agent",
        "An agent reports the outcome of a command (host credential)",
      ),
    )
    .input(z.object({ commandId: idRef("hostCommand"), result: CommandResult }))
    .output(z.object({ recorded: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await completeCommand(ctx.deps, ctx.host, input.commandId, input.result);
      return { recorded: true as const };
    }),
});
