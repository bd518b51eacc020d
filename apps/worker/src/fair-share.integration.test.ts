import { createSubnet, createVpc, launchInstance, redisOperationQueue } from "@nvi/core";
import { tenantWithHost, testDeps } from "@nvi/core/test-support";
import { recordingPlane, scriptedAgent } from "@nvi/core/test-support/agent";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { orgSlots, retryTakeAt } from "./fair-share.ts";
import { startOperationsWorker } from "./operations-worker.ts";
import { operationRunner } from "./policy-fast-path.ts";

/**
 * One organization's share of the worker slots (real Redis; the worker test with real Postgres and
 * BullMQ): leases per organization, refused past the limit, given back on release or at their
 * expiry (a worker killed mid-run), and a job refused one is delayed, not failed.
 */
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
const deps = testDeps();
afterAll(async () => {
  redis.disconnect();
  await deps.db.$disconnect();
});
const prefixOf = (tag: string) => `nvitest-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe("an organization's share of the slots", () => {
  it("is refused past its limit, per organization, until a lease is released or expires", async () => {
    const slots = orgSlots(redis, prefixOf("share"), { limit: 2, leaseMs: 400 });
    expect(await slots.take("org_a", "j1")).toBe(true);
    expect(await slots.take("org_a", "j2")).toBe(true);
    expect(await slots.take("org_a", "j3")).toBe(false);
    expect(await slots.take("org_a", "j1")).toBe(true); // the same job again (a duplicate delivery) holds one lease
    expect(await slots.take("org_b", "j4")).toBe(true); // another organization has its own share
    await slots.release("org_a", "j1");
    expect(await slots.take("org_a", "j3")).toBe(true);
    expect(await slots.take("org_a", "j5")).toBe(false);
    await new Promise((r) => setTimeout(r, 500)); // j2 and j3's worker died: their leases run out
    expect(await slots.take("org_a", "j5")).toBe(true);
  });

  it("a refused job looks again within a second, spread out", () => {
    expect(retryTakeAt(1_000, 0)).toBe(1_250);
    expect(retryTakeAt(1_000, 1)).toBe(1_750);
  });

  it("the worker runs no more of one organization's operations at once than its share; the rest are delayed and all succeed once", async () => {
    const prefix = prefixOf("cap");
    const queue = redisOperationQueue(redisUrl, prefix);
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const t = await tenantWithHost("cap", { hostname: "h-cap", deps });
    const vpc = await createVpc(t.ctx, { name: "v-cap", cidr: "10.71.0.0/16", allowOverlap: true });
    const sn = await createSubnet(t.ctx, { vpcId: vpc.id, cloudId: t.cloudId, name: "s", cidr: "10.71.1.0/24" });
    const runOnce = operationRunner(deps, recordingPlane().plane, { commandTimeoutMs: 20_000, parkAfterMs: 5_000 });
    let inSlot = 0;
    let most = 0;
    const worker = startOperationsWorker({
      deps,
      connection,
      prefix,
      concurrency: 3,
      run: async (kind, operationId) => {
        most = Math.max(most, ++inSlot);
        await runOnce(kind, operationId).finally(() => inSlot--);
      },
      slots: orgSlots(redis, prefix, { limit: 1, leaseMs: 60_000 }),
      log: () => undefined,
    });
    const agent = scriptedAgent(t.ctx, t.host);
    let serving = true;
    const loop = (async () => {
      while (serving) {
        // the agent answers slowly: each run holds its slot a while
        await new Promise((r) => setTimeout(r, 400));
        await agent.serve().catch(() => undefined);
      }
    })();
    try {
      const ops: string[] = [];
      for (const name of ["c0", "c1", "c2"])
        ops.push(
          (
            await launchInstance(t.ctx, queue, {
              name,
              subnetId: sn.id,
              hostId: t.hostId,
              runtime: "netns",
              cpus: 1,
              memoryMiB: 64,
            })
          ).operationId,
        );
      await vi.waitFor(
        async () => {
          const rows = await deps.db.operation.findMany({ where: { id: { in: ops } } });
          expect(rows.map((r) => [r.status, r.attempts])).toEqual([
            ["succeeded", 1],
            ["succeeded", 1],
            ["succeeded", 1],
          ]);
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(most).toBe(1);
      expect(agent.executed.map((c) => c.kind)).toEqual(["instance.start", "instance.start", "instance.start"]);
    } finally {
      serving = false;
      await loop;
      await worker.close();
      await queue.close();
      connection.disconnect();
    }
  }, 60_000);
});
