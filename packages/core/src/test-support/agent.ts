import type { CommandResult, HostCommandBody } from "@nvi/contracts";
import type { AuthenticatedHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { completeCommand, pullCommands } from "../instances/commands.ts";
import type { DataPlane, ExecutorOptions } from "../operations/data-plane.ts";
import { runOperation } from "../operations/run-operation.ts";

/**
 * The worker's side of an operation, for integration tests: a scripted agent answering through the
 * real command channel (pullCommands / completeCommand), a data plane that records its calls, and
 * `work`, which runs an operation as the worker would while the agent answers.
 */

export type ScriptedAgent = ReturnType<typeof scriptedAgent>;

/** What the agent executed, in order; `answer` decides each result (ports count up like Open vSwitch's). */
export function scriptedAgent(
  ctx: Ctx,
  host: AuthenticatedHost,
  answer: (body: HostCommandBody, n: number) => CommandResult | Promise<CommandResult> = (b, n) => ({
    ok: true,
    ...(b.kind === "instance.start" || b.kind === "instance.resume" ? { ofport: 10 + n } : {}),
  }),
) {
  const executed: HostCommandBody[] = [];
  return {
    executed,
    /** answers everything due for the host, once */
    async serve() {
      await ctx.db.host.update({ where: { id: host.id }, data: { lastSeenAt: new Date() } });
      // it reports what it runs, as a real agent does (an empty inventory would be drift)
      // every plugged port, whatever the status (a real VEB lists an instance as soon as it is plugged,
      // before the worker marks it running; reading only "running" rows raced with that)
      const running = await ctx.db.instance.findMany({
        where: { hostId: host.id, ofport: { not: null }, status: { not: "terminated" } },
      });
      const inventory = running.map((i) => ({
        instanceId: i.id,
        ofport: i.ofport ?? 0,
        mac: i.mac,
        address: i.address,
      }));
      for (const c of (await pullCommands(ctx, host, inventory)).commands) {
        executed.push(c.body);
        await completeCommand(ctx, host, c.id, await answer(c.body, executed.length));
      }
    },
  };
}

export function recordingPlane() {
  const calls: string[] = [];
  const plane: DataPlane = {
    plug: (i) => Promise.resolve(void calls.push(`plug ${i.id}:${i.ofport}`)).then(() => "100.65.1.9"),
    unplug: (id) => Promise.resolve(void calls.push(`unplug ${id}`)),
  };
  return { calls, plane };
}

/** Runs an operation as the worker would, with the scripted agent answering while it waits. */
export async function work(
  ctx: Ctx,
  operationId: string,
  agent: ScriptedAgent,
  plane: DataPlane,
  o: ExecutorOptions = { commandTimeoutMs: 10_000 },
) {
  const kind = (await ctx.db.operation.findUniqueOrThrow({ where: { id: operationId } })).kind as Parameters<
    typeof runOperation
  >[2];
  let done = false;
  const serving = (async () => {
    while (!done) {
      await agent.serve();
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  try {
    await runOperation(ctx, plane, kind, operationId, o);
  } finally {
    done = true;
    await serving;
  }
  return ctx.db.operation.findUniqueOrThrow({ where: { id: operationId } });
}
