import { asId, type CloudId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthenticatedHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { cloudWithHost, codeOf as kitCodeOf, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import type { DataPlane } from "../operations/data-plane.ts";
import { launchInstance, terminateInstance } from "./instances.ts";
import { cancelOperation } from "./cancel.ts";
import { restartInstance, startInstance, stopInstance } from "./lifecycle.ts";
import { retryOperation } from "../operations/operations.ts";
import {
  recordingPlane,
  scriptedAgent as kitScriptedAgent,
  work as kitWork,
  type ScriptedAgent,
} from "../test-support/agent.ts";

/**
 * Stop / start / restart against the real Postgres, the real command channel and a real BullMQ
 * queue (own prefix, not consumed: the tests run the worker's side themselves), with a scripted
 * agent answering through pullCommands / completeCommand and a data plane that records calls.
 */
let ctx: Ctx;
let other: Ctx;
let host: AuthenticatedHost;
let cloudId: CloudId;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("life");
  other = await person("life-other", ctx);
  ({ cloudId, host } = await cloudWithHost(ctx, { hostname: "h-life" }));
  queue = testQueue("life");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

const codeOf = (p: Promise<unknown>): Promise<string> => kitCodeOf(p, { message: true });

const scriptedAgent = (answer?: Parameters<typeof kitScriptedAgent>[2]) => kitScriptedAgent(ctx, host, answer);
const work = (operationId: string, agent: ScriptedAgent, plane: DataPlane) => kitWork(ctx, operationId, agent, plane);

/** A launch of its own (own VPC and subnet: tests run shuffled), queued, not run. */
async function queuedLaunch(name: string) {
  const vpc = await createVpc(ctx, { name: `v-${name}`, cidr: "10.66.0.0/16", allowOverlap: true });
  const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: `s-${name}`, cidr: "10.66.1.0/24" });
  await ctx.db.host.update({ where: { id: host.id }, data: { lastSeenAt: new Date() } });
  return launchInstance(ctx, queue, {
    name,
    subnetId: sn.id,
    hostId: host.id,
    runtime: "netns",
    cpus: 1,
    memoryMiB: 64,
  });
}

/** A running instance of its own. */
async function runningInstance(name: string) {
  const l = await queuedLaunch(name);
  const op = await work(l.operationId, scriptedAgent(), recordingPlane().plane);
  expect(op.status, op.error ?? "").toBe("succeeded");
  return l.instance;
}

const statusOf = async (id: string) => (await ctx.db.instance.findUniqueOrThrow({ where: { id } })).status;

describe("stop and start", () => {
  it("stop takes the instance out of the TSC before the host stops it, keeps its address; start brings it back", async () => {
    const inst = await runningInstance("stopme");
    const agent = scriptedAgent((b) =>
      b.kind === "instance.stop" ? { ok: true, ofport: 11 } : { ok: true, ofport: 11 },
    );
    const { calls, plane } = recordingPlane();
    const stop = await stopInstance(ctx, queue, { instanceId: inst.id });
    expect(stop.instance.status).toBe("stopping");
    expect((await stopInstance(ctx, queue, { instanceId: inst.id })).operationId).toBe(stop.operationId); // asking twice: the same operation
    const op = await work(stop.operationId, agent, plane);
    expect(op.status, op.error ?? "").toBe("succeeded");
    expect(calls).toEqual([`unplug ${inst.id}`]);
    expect(agent.executed.map((b) => b.kind)).toEqual(["instance.stop"]);
    expect(await ctx.db.instance.findUniqueOrThrow({ where: { id: inst.id } })).toMatchObject({
      status: "stopped",
      ofport: 11,
      address: inst.address,
    });
    expect(await ctx.db.ipAllocation.count({ where: { holderId: inst.id } })).toBe(1);
    expect(await codeOf(stopInstance(ctx, queue, { instanceId: inst.id }))).toBe(
      `INSTANCE_STATE: instance stopme is already stopped`,
    );
    expect(await codeOf(restartInstance(ctx, queue, { instanceId: inst.id }))).toMatch(
      /INSTANCE_STATE: .*start it instead/,
    );

    const start = await startInstance(ctx, queue, { instanceId: inst.id });
    expect(start.instance.status).toBe("starting");
    const op2 = await work(start.operationId, agent, plane);
    expect(op2.status, op2.error ?? "").toBe("succeeded");
    expect(agent.executed.map((b) => b.kind)).toEqual(["instance.stop", "instance.resume"]);
    expect(agent.executed[1]).toMatchObject({ spec: { instanceId: inst.id, address: inst.address, mac: inst.mac } });
    expect(calls).toEqual([`unplug ${inst.id}`, `plug ${inst.id}:11`]);
    expect(await ctx.db.instance.findUniqueOrThrow({ where: { id: inst.id } })).toMatchObject({
      status: "running",
      address: inst.address,
      statusReason: null,
    });
    const audit = await ctx.db.auditEvent.findMany({
      where: { targetId: inst.id, action: { in: ["instance.stop", "instance.start"] } },
      orderBy: { at: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["instance.stop", "instance.start"]);
  });

  it("a duplicate delivery of a finished operation does nothing", async () => {
    const inst = await runningInstance("dup");
    const agent = scriptedAgent();
    const { calls, plane } = recordingPlane();
    const stop = await stopInstance(ctx, queue, { instanceId: inst.id });
    await work(stop.operationId, agent, plane);
    await work(stop.operationId, agent, plane);
    expect(agent.executed).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect((await ctx.db.operation.findUniqueOrThrow({ where: { id: stop.operationId } })).attempts).toBe(1);
  });

  it("an idempotency key returns the same operation, and is refused for another verb", async () => {
    const inst = await runningInstance("idem-life");
    const key = `stop-${inst.id}`;
    const a = await stopInstance(ctx, queue, { instanceId: inst.id, idempotencyKey: key });
    await work(a.operationId, scriptedAgent(), recordingPlane().plane);
    expect((await stopInstance(ctx, queue, { instanceId: inst.id, idempotencyKey: key })).operationId).toBe(
      a.operationId,
    ); // after it finished, too
    expect(await codeOf(startInstance(ctx, queue, { instanceId: inst.id, idempotencyKey: key }))).toMatch(
      /^VALIDATION_FAILED@idempotencyKey/,
    );
  });

  it("a busy instance is refused: one operation at a time", async () => {
    const inst = await runningInstance("busy");
    const t = await terminateInstance(ctx, queue, { instanceId: inst.id });
    expect(await codeOf(stopInstance(ctx, queue, { instanceId: inst.id }))).toBe(
      `INSTANCE_STATE: instance busy is busy: its instance.terminate operation ${t.operationId} is queued`,
    );
    expect(await statusOf(inst.id)).toBe("terminating");
  });

  it("another organization sees nothing", async () => {
    const inst = await runningInstance("private");
    for (const verb of [stopInstance, startInstance, restartInstance])
      expect(await codeOf(verb(other, queue, { instanceId: inst.id }))).toMatch(/^NOT_FOUND/);
    expect(await statusOf(inst.id)).toBe("running");
  });
});

describe("restart", () => {
  it("stops then starts in one operation; a failed start is retried without stopping twice", async () => {
    const inst = await runningInstance("again");
    let failResume = true;
    const agent = scriptedAgent((b, n) => {
      if (b.kind !== "instance.resume") return { ok: true };
      if (failResume) return { ok: false, error: "no memory left" };
      return { ok: true, ofport: 20 + n };
    });
    const { calls, plane } = recordingPlane();
    const r = await restartInstance(ctx, queue, { instanceId: inst.id });
    const failed = await work(r.operationId, agent, plane);
    expect(failed).toMatchObject({ status: "failed", error: "no memory left" });
    expect(await ctx.db.instance.findUniqueOrThrow({ where: { id: inst.id } })).toMatchObject({
      status: "failed",
      statusReason: "restart failed: no memory left",
      address: inst.address,
    });
    failResume = false;
    await retryOperation(ctx, queue, { operationId: r.operationId });
    const op = await work(r.operationId, agent, plane);
    expect(op.status, op.error ?? "").toBe("succeeded");
    expect(op.progress).toBe(100);
    expect(agent.executed.map((b) => b.kind)).toEqual(["instance.stop", "instance.resume", "instance.resume"]); // the stop ran once
    expect(calls.filter((c) => c.startsWith("plug"))).toHaveLength(1);
    expect(await statusOf(inst.id)).toBe("running");
  });
});

describe("a stale retry", () => {
  it("a failed stop is not retried once the instance was started since: the retry is refused, the instance stays running", async () => {
    const inst = await runningInstance("stale");
    const agent = scriptedAgent((b, n) =>
      b.kind === "instance.stop"
        ? { ok: false, error: "busy" }
        : { ok: true, ...(b.kind === "instance.resume" ? { ofport: 30 + n } : {}) },
    );
    const { plane } = recordingPlane();
    const stop = await stopInstance(ctx, queue, { instanceId: inst.id });
    expect(await work(stop.operationId, agent, plane)).toMatchObject({ status: "failed" });
    const start = await startInstance(ctx, queue, { instanceId: inst.id });
    expect((await work(start.operationId, agent, plane)).status).toBe("succeeded");
    expect(await codeOf(retryOperation(ctx, queue, { operationId: stop.operationId }))).toMatch(
      /^OPERATION_STATE: .* has had a instance\.start \(succeeded\) since/,
    );
    expect(await statusOf(inst.id)).toBe("running");
  });
});

describe("racing a terminate", () => {
  it("a terminate asked during a restart wins: the instance is not started again", async () => {
    const inst = await runningInstance("term-restart");
    const r = await restartInstance(ctx, queue, { instanceId: inst.id });
    const agent = scriptedAgent(async (b) => {
      if (b.kind === "instance.stop") await terminateInstance(ctx, queue, { instanceId: inst.id });
      return { ok: true };
    });
    const op = await work(r.operationId, agent, recordingPlane().plane);
    expect(op).toMatchObject({ status: "failed", error: "the instance is terminating: not started" });
    expect(agent.executed.map((b) => b.kind)).toEqual(["instance.stop"]);
    expect(await statusOf(inst.id)).toBe("terminating");
  });
});

describe("cancellation", () => {
  const opOf = (id: string) => ctx.db.operation.findUniqueOrThrow({ where: { id } });

  it("a queued launch: cancelled at once, address released, instance terminated with who cancelled, name free; its job then does nothing", async () => {
    const l = await queuedLaunch("cancel-q");
    const dto = await cancelOperation(ctx, { operationId: l.operationId });
    expect(dto).toMatchObject({
      status: "cancelled",
      cancelledBy: ctx.actor.email,
      error: `cancelled by ${ctx.actor.email}`,
    });
    expect(dto.steps.map((s) => s.status)).toEqual(["done", "skipped", "skipped", "skipped"]);
    expect(await ctx.db.ipAllocation.count({ where: { holderId: l.instance.id } })).toBe(0);
    expect(await ctx.db.instance.findUniqueOrThrow({ where: { id: l.instance.id } })).toMatchObject({
      status: "terminated",
      statusReason: `launch cancelled by ${ctx.actor.email}`,
    });
    const agent = scriptedAgent();
    await work(l.operationId, agent, recordingPlane().plane);
    expect(agent.executed).toEqual([]);
    expect((await opOf(l.operationId)).status).toBe("cancelled");
    expect(await codeOf(cancelOperation(ctx, { operationId: l.operationId }))).toMatch(
      /^OPERATION_STATE: .*already cancelled/,
    );
    expect(
      (await ctx.db.auditEvent.findFirstOrThrow({ where: { action: "operation.cancel", targetId: l.operationId } }))
        .actorLabel,
    ).toBe(ctx.actor.email);
  });

  it("a running launch: stopped at the step boundary after the host made it, which removes it again; the TSC never sees it", async () => {
    const l = await queuedLaunch("cancel-r");
    const agent = scriptedAgent(async (b, n) => {
      if (b.kind === "instance.start")
        expect((await cancelOperation(ctx, { operationId: l.operationId })).status).toBe("running"); // asked while the host works
      return { ok: true, ...(b.kind === "instance.start" ? { ofport: 30 + n } : {}) };
    });
    const { calls, plane } = recordingPlane();
    const op = await work(l.operationId, agent, plane);
    expect(op).toMatchObject({ status: "cancelled", cancelledBy: ctx.actor.email });
    expect(agent.executed.map((b) => b.kind)).toEqual(["instance.start", "instance.remove"]);
    expect(calls).toEqual([]);
    expect(await ctx.db.ipAllocation.count({ where: { holderId: l.instance.id } })).toBe(0);
    expect(await statusOf(l.instance.id)).toBe("terminated");
  });

  it("a queued stop or start: the instance goes back to how it was", async () => {
    const inst = await runningInstance("cancel-stop");
    const stop = await stopInstance(ctx, queue, { instanceId: inst.id });
    await cancelOperation(ctx, { operationId: stop.operationId });
    expect(await statusOf(inst.id)).toBe("running");
    const stop2 = await stopInstance(ctx, queue, { instanceId: inst.id });
    await work(stop2.operationId, scriptedAgent(), recordingPlane().plane);
    const start = await startInstance(ctx, queue, { instanceId: inst.id });
    await cancelOperation(ctx, { operationId: start.operationId });
    expect(await statusOf(inst.id)).toBe("stopped");
  });

  it("a restart cancelled while stopping ends between its phases: stopped, never started", async () => {
    const inst = await runningInstance("cancel-restart");
    const r = await restartInstance(ctx, queue, { instanceId: inst.id });
    const agent = scriptedAgent(async (b) => {
      if (b.kind === "instance.stop") await cancelOperation(ctx, { operationId: r.operationId });
      return { ok: true };
    });
    const op = await work(r.operationId, agent, recordingPlane().plane);
    expect(op.status).toBe("cancelled");
    expect(agent.executed.map((b) => b.kind)).toEqual(["instance.stop"]);
    expect(await statusOf(inst.id)).toBe("stopped");
  });

  it("refuses what cannot be cancelled, and another organization's operation", async () => {
    const inst = await runningInstance("cancel-no");
    const launchOp = asId(
      "operation",
      (await ctx.db.operation.findFirstOrThrow({ where: { targetId: inst.id, kind: "instance.launch" } })).id,
    );
    expect(await codeOf(cancelOperation(ctx, { operationId: launchOp }))).toMatch(
      /^OPERATION_STATE: .*already succeeded/,
    );
    const stop = await stopInstance(ctx, queue, { instanceId: inst.id });
    expect(await codeOf(cancelOperation(other, { operationId: stop.operationId }))).toMatch(/^NOT_FOUND/);
    expect((await opOf(stop.operationId)).status).toBe("queued");
    await cancelOperation(ctx, { operationId: stop.operationId });
    const t = await terminateInstance(ctx, queue, { instanceId: inst.id });
    expect(await codeOf(cancelOperation(ctx, { operationId: t.operationId }))).toMatch(
      /^OPERATION_STATE: a terminate cannot be cancelled/,
    );
  });
});
