import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuthenticatedHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { launchInstance } from "../instances/instances.ts";
import { restartInstance } from "../instances/lifecycle.ts";
import { recordingPlane, scriptedAgent } from "../test-support/agent.ts";
import { cloudWithHost, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import type { DataPlane, ExecutorOptions } from "./data-plane.ts";
import { listenForOperationWakes, OperationParked } from "./parking.ts";
import type { OperationKind } from "./queue.ts";
import { runOperation } from "./run-operation.ts";

/**
 * A wait for an agent or a VEB gives the worker's slot back (`OperationParked`) and is resumed
 * later from Postgres, as the worker's delayed job does: the same attempt, the same deadline
 * (counted from when the wait began), the agent's answer as it came. Real Postgres and command channel.
 */
let ctx: Ctx;
let host: AuthenticatedHost;
let subnetId: string;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("park");
  const enrolled = await cloudWithHost(ctx, { hostname: "h-park" });
  host = enrolled.host;
  const vpc = await createVpc(ctx, { name: "v", cidr: "10.68.0.0/16", allowOverlap: true });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId: enrolled.cloudId, name: "s", cidr: "10.68.1.0/24" }))
    .id;
  queue = testQueue("park");
}, 30_000);
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

const launch = async (name: string) => {
  await ctx.db.host.update({ where: { id: host.id }, data: { lastSeenAt: new Date() } });
  return launchInstance(ctx, queue, { name, subnetId, hostId: host.id, runtime: "netns", memoryMiB: 64 });
};

/** Runs the operation as the worker does: each park ends the run; it runs again at `resumeAt`. */
async function runParked(
  operationId: string,
  plane: DataPlane,
  o: ExecutorOptions,
  whileParked = async () => {},
  kind: OperationKind = "instance.launch",
) {
  const parks: OperationParked[] = [];
  for (;;) {
    try {
      await runOperation(ctx, plane, kind, operationId, o);
      break;
    } catch (e) {
      if (!(e instanceof OperationParked)) throw e;
      parks.push(e);
      await whileParked();
      await new Promise((r) => setTimeout(r, Math.max(0, e.resumeAt - Date.now())));
    }
  }
  return { parks, op: await ctx.db.operation.findUniqueOrThrow({ where: { id: operationId } }) };
}

const opts = { commandTimeoutMs: 10_000, vebDeadlineMs: 10_000, parkAfterMs: 200 };

describe("a parked wait", () => {
  it("gives the slot back while the agent is silent, and the resumed run takes its answer: one attempt", async () => {
    const l = await launch("park-late");
    const agent = scriptedAgent(ctx, host);
    let parked = 0;
    const { parks, op } = await runParked(l.operationId, recordingPlane().plane, opts, async () => {
      const steps = JSON.stringify((await ctx.db.operation.findUniqueOrThrow({ where: { id: l.operationId } })).steps);
      expect(steps).toContain("waiting for host h-park's agent (never fetched: is the agent running?; up to 10 s");
      if (++parked === 2) await agent.serve(); // the agent comes after the second park
    });
    expect(parks).toHaveLength(2);
    expect(op).toMatchObject({ status: "succeeded", attempts: 1, waitKey: null, waitSince: null });
    expect(agent.executed.map((c) => c.kind)).toEqual(["instance.start"]);
  }, 30_000);

  it("the agent's answer wakes its operation (the worker then runs its parked job at once)", async () => {
    const l = await launch("park-wake");
    const woken: string[] = [];
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    const channel = listenForOperationWakes(
      process.env.DATABASE_URL ?? "",
      (id) => woken.push(id),
      () => {},
      listening,
    );
    try {
      await ready;
      const { parks } = await runParked(l.operationId, recordingPlane().plane, opts, () =>
        scriptedAgent(ctx, host).serve(),
      );
      expect(parks).toHaveLength(1);
      await vi.waitFor(() => expect(woken).toContain(l.operationId));
    } finally {
      await channel.close();
    }
  }, 30_000);

  it("a restart parked in its start phase does not stop again when it resumes (no second unplug, no status flapping)", async () => {
    const l = await launch("park-restart");
    const agent = scriptedAgent(ctx, host);
    expect((await runParked(l.operationId, recordingPlane().plane, opts, () => agent.serve())).op.status).toBe(
      "succeeded",
    );
    const { operationId } = await restartInstance(ctx, queue, { instanceId: l.instance.id });
    const { calls, plane } = recordingPlane();
    // the agent answers the stop at once, the start only after the run parked on it twice
    let parked = 0;
    let serving = true;
    const loop = (async () => {
      while (serving) {
        const due = await ctx.db.hostCommand.findMany({ where: { operationId, status: { in: ["pending", "sent"] } } });
        if (due.length > 0 && (parked >= 2 || due.every((c) => c.kind === "instance.stop"))) await agent.serve();
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    const statuses: string[] = [];
    try {
      const { op } = await runParked(
        operationId,
        plane,
        opts,
        async () => {
          parked++;
          statuses.push((await ctx.db.instance.findUniqueOrThrow({ where: { id: l.instance.id } })).status);
        },
        "instance.restart",
      );
      expect(op.status, op.error ?? "").toBe("succeeded");
    } finally {
      serving = false;
      await loop;
    }
    expect(statuses).toEqual(["starting", "starting"]);
    expect(calls.filter((c) => c.startsWith("unplug"))).toHaveLength(1);
    expect(agent.executed.filter((c) => c.kind === "instance.stop")).toHaveLength(1);
  }, 30_000);

  it("an answer that fails while it is parked fails the operation with the agent's reason; it is not asked again", async () => {
    const l = await launch("park-fail");
    const agent = scriptedAgent(ctx, host, () => ({ ok: false, error: "image not found" }));
    const { op } = await runParked(l.operationId, recordingPlane().plane, opts, () => agent.serve());
    expect(op).toMatchObject({ status: "failed", error: "image not found", attempts: 1 });
    expect(agent.executed).toHaveLength(1);
    const cmd = await ctx.db.hostCommand.findFirstOrThrow({ where: { operationId: l.operationId } });
    expect(cmd).toMatchObject({ status: "failed", attempts: 1 });
  }, 30_000);

  it("a VEB that never connects fails the launch at the deadline counted from when the wait began, however often it parked", async () => {
    const l = await launch("park-veb");
    const agent = scriptedAgent(ctx, host);
    const plane: DataPlane = { ...recordingPlane().plane, vebsAway: () => Promise.resolve(["h-peer"]) };
    const { parks, op } = await runParked(l.operationId, plane, { ...opts, vebDeadlineMs: 2_000 }, () => agent.serve());
    expect(parks.length).toBeGreaterThan(1);
    expect(parks.at(-1)?.waitingFor).toBe("waiting for the VEB of h-peer to connect to the TSC (up to 2 s)");
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/the VEB of h-peer did not connect to the TSC within 2 s/);
    expect(op.attempts).toBe(1);
  }, 30_000);
});
