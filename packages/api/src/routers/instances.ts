import {
  CommandPollDto,
  CommandPollRequest,
  CommandResultRequest,
  InstanceCounts,
  InstanceDto,
  InstanceLogsDto,
  InstanceLogsInput,
  LaunchedDto,
  OperationDto,
  RecordedDto,
} from "@nvi/contracts";
import {
  BulkInstanceInput,
  BulkInstanceResult,
  CountInstancesInput,
  countInstances,
  InstancePage,
  InstanceRef,
  OperationPage,
  PageInstancesInput,
  PageOperationsInput,
  bulkInstanceAction,
  cancelOperation,
  pageInstances,
  pageOperations,
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
  readInstanceLogs,
  restartInstance,
  retryOperation,
  startInstance,
  stopInstance,
  terminateInstance,
} from "@nvi/core";
import { z } from "zod";
import { hostProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { queued, read, write } from "./procedures.ts";

export const instanceRouter = router({
  list: read(
    rest("GET", "/instances", "instances", "Instances of the organization (not terminated), optionally of one VPC"),
    ListInstancesInput,
    z.array(InstanceDto),
    listInstances,
  ),
  page: read(
    rest(
      "GET",
      "/search/instances",
      "instances",
      "A page of instances: search (name, address, host), filters, sort and a cursor for the next page",
    ),
    PageInstancesInput,
    InstancePage,
    pageInstances,
  ),
  counts: read(
    rest(
      "GET",
      "/instance-counts",
      "instances",
      "How many instances (not terminated; optionally of one VPC) are in each state, without the rows",
    ),
    CountInstancesInput,
    InstanceCounts,
    countInstances,
  ),
  bulk: queued(
    rest(
      "POST",
      "/instances/bulk",
      "instances",
      "Stop, start or terminate many instances: one operation each, a refusal reported per instance (instances:write)",
    ),
    BulkInstanceInput,
    BulkInstanceResult,
    bulkInstanceAction,
  ),
  get: read(
    rest("GET", "/instances/{instanceId}", "instances", "One instance: status, address, host"),
    InstanceRef,
    InstanceDto,
    getInstance,
  ),
  launch: queued(
    rest(
      "POST",
      "/instances",
      "instances",
      "Launch an instance into a subnet (on a host, or placed automatically); returns it with the operation tracking it (instances:write)",
    ),
    LaunchInstanceInput,
    LaunchedDto,
    launchInstance,
  ),
  terminate: queued(
    rest(
      "DELETE",
      "/instances/{instanceId}",
      "instances",
      "Terminate an instance: unplugged, removed from its host, address released (instances:write)",
    ),
    InstanceRef,
    LaunchedDto,
    terminateInstance,
  ),
  stop: queued(
    rest(
      "POST",
      "/instances/{instanceId}/stop",
      "instances",
      "Stop a running instance: out of the TSC, workload stopped; it keeps its address (instances:write)",
    ),
    LifecycleInput,
    LaunchedDto,
    stopInstance,
  ),
  start: queued(
    rest(
      "POST",
      "/instances/{instanceId}/start",
      "instances",
      "Start a stopped (or failed) instance with the same address (instances:write)",
    ),
    LifecycleInput,
    LaunchedDto,
    startInstance,
  ),
  restart: queued(
    rest(
      "POST",
      "/instances/{instanceId}/restart",
      "instances",
      "Stop and start a running instance in one operation (instances:write)",
    ),
    LifecycleInput,
    LaunchedDto,
    restartInstance,
  ),
  // a POST: every read is audited and asks the host's agent (a command), so it is no safe GET
  logs: write(
    rest(
      "POST",
      "/instances/{instanceId}/logs",
      "instances",
      "A container's last lines of output (stdout and stderr, at most 1000 lines and 64 KiB), read from its host's agent, control sequences removed (instances:write; audited; 30 a minute)",
    ),
    InstanceLogsInput,
    InstanceLogsDto,
    readInstanceLogs,
  ),
});

export const operationRouter = router({
  list: read(
    rest("GET", "/operations", "operations", "Operations, newest first (status and target filters)"),
    ListOperationsInput,
    z.array(OperationDto),
    listOperations,
  ),
  page: read(
    rest(
      "GET",
      "/search/operations",
      "operations",
      "A page of operations: search (kind, who, target id or name), filters, sort and a cursor for the next page",
    ),
    PageOperationsInput,
    OperationPage,
    pageOperations,
  ),
  get: read(
    rest("GET", "/operations/{operationId}", "operations", "One operation with its steps and progress"),
    OperationRef,
    OperationDto,
    getOperation,
  ),
  retry: queued(
    rest("POST", "/operations/{operationId}/retry", "operations", "Run a failed operation again (instances:write)"),
    OperationRef,
    OperationDto,
    retryOperation,
  ),
  cancel: write(
    rest(
      "POST",
      "/operations/{operationId}/cancel",
      "operations",
      "Cancel a queued operation at once, or a running one at its next safe step (what it did is undone); terminates are not cancelled (instances:write)",
    ),
    OperationRef,
    OperationDto,
    cancelOperation,
  ),
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
    .input(CommandPollRequest)
    .output(CommandPollDto)
    .mutation(({ ctx, input }) =>
      pullCommands(ctx.deps, ctx.host, input.inventory, {
        ...(input.resume ? { resume: true } : {}),
        ...(input.running ? { running: input.running } : {}),
      }),
    ),
  result: hostProcedure
    .meta(
      rest(
        "POST",
        "/agent/commands/{commandId}/result",
        "agent",
        "An agent reports the outcome of a command (host credential)",
      ),
    )
    .input(CommandResultRequest)
    .output(RecordedDto)
    .mutation(async ({ ctx, input }) => {
      await completeCommand(ctx.deps, ctx.host, input.commandId, input.result);
      return { recorded: true as const };
    }),
});
