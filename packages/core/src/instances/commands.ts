import { CommandResult, HostCommandBody, type HostCommandDto, type InstanceInventoryItem } from "@nvi/contracts";
import type { Prisma } from "@nvi/db";
import { hostStatus, type AuthenticatedHost } from "../clouds/hosts.ts";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";
import { openCommandSecrets } from "./command-secrets.ts";
import { scrubSecrets } from "./container-launch.ts";
import { wakeOperation, type WaitClock } from "../operations/parking.ts";

/**
 * The agent channel: commands wait in Postgres for their host's agent, which fetches them over
 * its own outbound HTTPS calls (authenticated with its host credential), runs them and posts the
 * result. Delivery is at least once (a command fetched but not answered within REDELIVER_MS is
 * handed out again), so every command is idempotent on the agent's side.
 */
export const REDELIVER_MS = 30_000;

/** One command per (operation, kind): a retried job finds the command it already issued. */
export async function issueCommand(
  deps: CoreDeps,
  o: { hostId: string; operationId: string; body: HostCommandBody },
): Promise<string> {
  const existing = await deps.db.hostCommand.findUnique({
    where: { operationId_kind: { operationId: o.operationId, kind: o.body.kind } },
  });
  if (existing) {
    // a failed command is asked again by a new attempt, never by the parked attempt that waits for it (its answer stands)
    if (existing.status === "failed" && !(await waitingFor(deps, o.operationId, existing.id)))
      await deps.db.hostCommand.update({
        where: { id: existing.id },
        // with the body as it is now (without its secrets: they are added as it is handed out)
        data: {
          status: "pending",
          error: null,
          result: undefined,
          payload: scrubSecrets(o.body) as Prisma.InputJsonValue,
        },
      });
    return existing.id;
  }
  const id = deps.newId("hostCommand");
  await deps.db.hostCommand.create({
    data: {
      id,
      hostId: o.hostId,
      operationId: o.operationId,
      kind: o.body.kind,
      // a container's environment values and registry password are not kept: pullCommands adds them
      payload: scrubSecrets(o.body) as Prisma.InputJsonValue,
    },
  });
  return id;
}

/** Whether the operation's attempt is (parked) waiting for this command. */
async function waitingFor(deps: CoreDeps, operationId: string, commandId: string): Promise<boolean> {
  const op = await deps.db.operation.findUnique({ where: { id: operationId }, select: { waitKey: true } });
  return op?.waitKey === commandWaitKey(commandId);
}

/** The key an operation's wait for one of its commands is recorded under (see operations/parking.ts). */
export const commandWaitKey = (commandId: string): string => `command:${commandId}`;

export interface PullResult {
  commands: HostCommandDto[];
  /** instances the console expects on this host that the agent did not report (shown on the instance) */
  missing: string[];
}

/**
 * The agent asks for work and reports what it has (its inventory); drift is written on the instances.
 * `resume` (its first poll after a restart or an outage): what it was handed and never answered
 * comes again at once; otherwise only after REDELIVER_MS, the fallback. `running`: what the agent
 * says it still has queued or running (it runs several at once) is not handed out again meanwhile,
 * so a VM that boots for minutes is neither redelivered nor holds a place among the `take` due ones.
 */
export async function pullCommands(
  deps: CoreDeps,
  host: AuthenticatedHost,
  inventory: InstanceInventoryItem[],
  o: { resume?: boolean; running?: string[] } = {},
): Promise<PullResult> {
  const now = deps.clock();
  const redeliverBefore = o.resume ? now : new Date(now.getTime() - REDELIVER_MS);
  const due = await deps.db.hostCommand.findMany({
    where: {
      hostId: host.id,
      OR: [{ status: "pending" }, { status: "sent", sentAt: { lte: redeliverBefore } }],
      ...(o.running && o.running.length > 0 ? { id: { notIn: o.running } } : {}),
    },
    orderBy: { createdAt: "asc" },
    take: 20,
  });
  if (due.length > 0)
    await deps.db.hostCommand.updateMany({
      where: { id: { in: due.map((c) => c.id) } },
      data: { status: "sent", sentAt: now, attempts: { increment: 1 } },
    });
  const expected = await deps.db.instance.findMany({
    where: { hostId: host.id, status: "running" },
    select: { id: true, ofport: true, statusReason: true },
  });
  const reported = new Map(inventory.map((i) => [i.instanceId, i]));
  const missing: string[] = [];
  for (const e of expected) {
    const have = reported.get(e.id);
    if (!have) {
      missing.push(e.id);
      if (!e.statusReason?.startsWith("drift"))
        await deps.db.instance.update({
          where: { id: e.id },
          data: { statusReason: `drift: not found on the host at ${now.toISOString()}` },
        });
    } else if (have.ofport !== e.ofport || e.statusReason?.startsWith("drift")) {
      await deps.db.instance.update({ where: { id: e.id }, data: { ofport: have.ofport, statusReason: null } });
    }
  }
  // the secrets a start or resume carries are opened only now, as it is handed to this host's agent
  const { ready, failed } = await openCommandSecrets(
    deps,
    host.id,
    due.map((c) => ({ id: c.id, body: HostCommandBody.parse(c.payload) })),
  );
  for (const f of failed) {
    const cmd = await deps.db.hostCommand.update({
      where: { id: f.id },
      data: { status: "failed", error: f.error, doneAt: now },
    });
    if (cmd.operationId) await wakeOperation(deps, cmd.operationId);
  }
  return { commands: ready, missing };
}

export async function completeCommand(
  deps: CoreDeps,
  host: AuthenticatedHost,
  commandId: string,
  result: CommandResult,
): Promise<void> {
  const cmd = await deps.db.hostCommand.findFirst({ where: { id: commandId, hostId: host.id } });
  if (!cmd) throw new DomainError("NOT_FOUND", "command not found");
  if (cmd.status === "done") return;
  await deps.db.hostCommand.update({
    where: { id: cmd.id },
    data: {
      status: result.ok ? "done" : "failed",
      // a command stored before its secrets were left out of it: none is kept once it is answered
      payload: scrubSecrets(cmd.payload) as Prisma.InputJsonValue,
      result: result,
      error: result.ok ? null : (result.error ?? "failed"),
      doneAt: deps.clock(),
    },
  });
  // an operation parked on this answer runs again now, not at its next look
  if (cmd.operationId) await wakeOperation(deps, cmd.operationId);
}

/**
 * Waits for the agent's answer (polling Postgres); a timeout, a failure or a host gone offline
 * (no heartbeat for 2 minutes: it will not answer soon) comes back as ok: false with the reason.
 * With `wait` (an operation's), the timeout counts from when the operation began waiting for this
 * command, and the wait may park (`OperationParked`: the worker gives its slot back and resumes later).
 */
export async function awaitCommand(
  deps: CoreDeps,
  commandId: string,
  timeoutMs: number,
  wait?: WaitClock,
): Promise<CommandResult> {
  const seconds = Math.round(timeoutMs / 1000);
  let end = Date.now() + timeoutMs;
  for (let look = 0; ; look++) {
    const cmd = await deps.db.hostCommand.findUnique({
      where: { id: commandId },
      include: { host: { select: { name: true, lastSeenAt: true } } },
    });
    if (!cmd) return { ok: false, error: "the command disappeared (host removed?)" };
    if (cmd.status === "done") return CommandResult.parse(cmd.result ?? { ok: true });
    if (cmd.status === "failed") return { ok: false, error: cmd.error ?? "the agent reported a failure" };
    if (hostStatus(cmd.host.lastSeenAt, deps.clock()) === "offline")
      return {
        ok: false,
        error: `host ${cmd.host.name} is offline (last heartbeat ${cmd.host.lastSeenAt.toISOString()})`,
      };
    if (wait && look === 0) end = (await wait.since()) + timeoutMs;
    const fetched = cmd.status === "pending" ? "never fetched: is the agent running?" : "fetched, no result yet";
    if (Date.now() > end)
      return { ok: false, error: `the host's agent did not answer within ${seconds} s (${fetched})` };
    await wait?.parkIfDue(
      end,
      `waiting for host ${cmd.host.name}'s agent (${fetched}; up to ${seconds} s, until ${new Date(end).toISOString()})`,
    );
    await new Promise((r) => setTimeout(r, 200));
  }
}
