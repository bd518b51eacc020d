import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthenticatedHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import type { DataPlane } from "../operations/data-plane.ts";
import { cloudWithHost, person, testQueue } from "../test-support/kit.ts";
import { recordingPlane, scriptedAgent, work } from "../test-support/agent.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { launchInstance } from "./instances.ts";

/**
 * An operation succeeds only once every VEB it programs is there to confirm it (issue 18: a launch
 * right after a worker restart said `succeeded` while the switches had not reconnected, and a ping
 * lost 3 of 3): the instance's host's and its VPC peers' hosts'. Real Postgres, the real command
 * channel; the data plane says which VEBs are away (the worker's answers from its TSC: fabric tests).
 */
let ctx: Ctx;
let host: AuthenticatedHost;
let subnetId: string;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("veb");
  const enrolled = await cloudWithHost(ctx, { hostname: "h-veb" });
  host = enrolled.host;
  const vpc = await createVpc(ctx, { name: "v", cidr: "10.67.0.0/16", allowOverlap: true });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId: enrolled.cloudId, name: "s", cidr: "10.67.1.0/24" }))
    .id;
  queue = testQueue("veb");
}, 30_000); // four writes and a certificate: slow on a loaded machine
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

/** A data plane whose VEBs are away while the test says so (`away`: host names; the list may change under it). */
function planeWithVebs(away: { now: string[] }): DataPlane & { calls: string[] } {
  const { calls, plane } = recordingPlane();
  return { ...plane, calls, vebsAway: () => Promise.resolve([...away.now]) };
}
const stepOf = async (operationId: string) => {
  const op = await ctx.db.operation.findUniqueOrThrow({ where: { id: operationId } });
  const step = (op.steps as { name: string; detail: string | null }[]).find((s) => s.name === "program the TSC");
  return { status: op.status, detail: step?.detail ?? "" };
};
async function seen(operationId: string, text: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const s = await stepOf(operationId);
    if (s.detail.includes(text)) return s.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  return "never";
}

const launch = async (name: string) => {
  await ctx.db.host.update({ where: { id: host.id }, data: { lastSeenAt: new Date() } });
  return launchInstance(ctx, queue, { name, subnetId, hostId: host.id, runtime: "netns", memoryMiB: 64 });
};

describe("the TSC step waits for every VEB it programs", () => {
  it("says which VEB it waits for (its host's, then a peer's), and succeeds once all are back (never before)", async () => {
    const l = await launch("veb-late");
    const away = { now: ["h-veb"] };
    const plane = planeWithVebs(away);
    const running = work(ctx, l.operationId, scriptedAgent(ctx, host), plane, {
      commandTimeoutMs: 10_000,
      vebDeadlineMs: 20_000,
    });
    expect(await seen(l.operationId, "waiting for the VEB of h-veb to connect")).toBe("running");
    away.now = ["h-peer"]; // its own VEB is back, a VPC peer's host's is not
    expect(await seen(l.operationId, "waiting for the VEB of h-peer to connect")).toBe("running");
    expect(plane.calls).toEqual([]); // nothing plugged while a VEB is away
    away.now = [];
    const op = await running;
    expect(op.status, op.error ?? "").toBe("succeeded");
    expect(plane.calls).toEqual([expect.stringMatching(/^plug /)]);
    expect((await stepOf(l.operationId)).detail).toMatch(/confirmed by every VEB involved/);
  }, 30_000);

  it("a VEB that leaves while it is programmed is waited for and programmed again", async () => {
    const l = await launch("veb-flap");
    const away = { now: [] as string[] };
    const plane = planeWithVebs(away);
    const plug = (i: Parameters<DataPlane["plug"]>[0]) => plane.plug(i);
    let plugs = 0;
    const flapping: DataPlane = {
      ...plane,
      plug: (i) => {
        if (++plugs === 1) {
          away.now = ["h-peer"]; // gone mid-sync: its flows were never confirmed
          setTimeout(() => (away.now = []), 600);
        }
        return plug(i);
      },
    };
    const op = await work(ctx, l.operationId, scriptedAgent(ctx, host), flapping, {
      commandTimeoutMs: 10_000,
      vebDeadlineMs: 20_000,
    });
    expect(op.status, op.error ?? "").toBe("succeeded");
    expect(plane.calls).toEqual([expect.stringMatching(/^plug /), expect.stringMatching(/^plug /)]);
  }, 30_000);

  it("fails with the reason at the deadline, and the instance says so (a retry can follow)", async () => {
    const l = await launch("veb-never");
    const plane = planeWithVebs({ now: ["h-peer"] });
    const op = await work(ctx, l.operationId, scriptedAgent(ctx, host), plane, {
      commandTimeoutMs: 10_000,
      vebDeadlineMs: 1_500,
    });
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/the VEB of h-peer did not connect to the TSC within 2 s.*retry/);
    expect((await ctx.db.instance.findUniqueOrThrow({ where: { id: l.instance.id } })).status).toBe("failed");
    expect(plane.calls).toEqual([]);
  }, 30_000);
});
