import { VEB_MAC, cookieKind } from "@nvi/controller";
import { MemorySwitches } from "@nvi/controller/test-support";
import { createCoreDeps, unplugGroups, type OperationQueue } from "@nvi/core";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DbFabric } from "./fabric.ts";
import { operationRunner, startPolicyFastPath } from "./policy-fast-path.ts";
import { dpid, running, tenantWithHost } from "./test-kit.ts";

/**
 * Issue 19: an unplug reaches the VEBs as its transaction commits. The API's listing of changed
 * pairs is made artificially slow (its reads after the commit wait on a gate the test opens last,
 * so the API cannot answer): the pair's flows must be gone, and the operation say so, before the
 * API answers. Without the notification the worker's TSC only started from the BullMQ job (none
 * runs here): the flows stayed and the test fails.
 */
const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
afterAll(async () => {
  await deps.db.$disconnect();
});

describe("policy fast path (real Postgres, in-memory VEB)", () => {
  it(
    "revocation never waits for the API's listing of changed pairs (a slow one), and runs once",
    { timeout: 30_000 },
    async () => {
      const t = await tenantWithHost(deps, "fast");
      const a = await running(deps, t, "a", 7, 10);
      await running(deps, t, "b", 8, 11);
      const fabric = new DbFabric(deps);
      const switches = new MemorySwitches(fabric.mapping.tscOptions(), (d, m) => fabric.mapping.packetIn(d, m));
      fabric.mapping.attachPort(switches);
      await fabric.refresh();
      const veb = dpid(t.id.datapathId);
      await switches.connect(veb);
      const pairFlows = () =>
        switches
          .table(veb)
          .flows()
          .filter((f) => cookieKind(f.cookie) === "MAPPING");
      const mac = (await deps.db.instance.findUniqueOrThrow({ where: { id: a } })).mac;
      const fromA = {
        inPort: 7,
        ethSrc: mac,
        ethDst: VEB_MAC,
        ethType: 0x0800, // IPv4
        ipProto: 6,
        ipv4Src: "10.20.1.10",
        ipv4Dst: "10.20.1.11",
        tcpSrc: 40000,
        tcpDst: 80,
      };
      await switches.inject(veb, fromA);
      expect(pairFlows().length).toBeGreaterThan(0);

      const run = operationRunner(deps, fabric.dataPlane);
      // the database is shared with the suites CI runs beside this one: run only this tenant's
      // changes (a real worker runs every organization's; here it would take other tests' operations)
      const ours = async (operationId: string) =>
        (await deps.db.operation.count({ where: { id: operationId, orgId: t.ctx.actor.orgId } })) > 0;
      const fast = startPolicyFastPath({
        databaseUrl: process.env.DATABASE_URL ?? "",
        fabric,
        run: async (kind, operationId) => {
          if (await ours(operationId)) await run(kind, operationId);
        },
        log: () => undefined,
      });
      await fast.listening;
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const enqueued: string[] = [];
      const queue: OperationQueue = {
        enqueue: (_kind, operationId) => {
          enqueued.push(operationId);
          return Promise.resolve();
        },
      };
      // the API's listing of changed pairs is slow: once the change committed (the job is queued),
      // the policy it reads for the "after" side waits on the gate, and so does the API's answer
      const slowListing = deps.db.$extends({
        query: {
          // the policy is read by one raw statement (core's loadPolicy)
          async $queryRaw({ args, query }) {
            if (enqueued.length > 0) await gate;
            return query(args) as Promise<unknown>;
          },
        },
      }) as unknown as typeof deps.db;
      const dflt = await deps.db.group.findFirstOrThrow({ where: { vpcId: t.vpcId, name: "default" } });
      let answered = false;
      const unplug = unplugGroups({ ...t.ctx, db: slowListing }, queue, {
        srcGroupId: dflt.id,
        dstGroupId: dflt.id,
      }).finally(() => (answered = true));
      try {
        await vi.waitFor(() => expect(enqueued).toHaveLength(1), { timeout: 10_000 });
        const operationId = enqueued[0]!;
        // the API is still listing after its commit: the TSC revoked and the operation recorded it anyway
        await vi.waitFor(
          async () =>
            expect(await deps.db.operation.findUniqueOrThrow({ where: { id: operationId } })).toMatchObject({
              status: "succeeded",
            }),
          { timeout: 10_000 },
        );
        expect(answered).toBe(false);
        expect(pairFlows()).toEqual([]);
        expect((await switches.inject(veb, fromA)).outputs).toEqual([]);

        // the listing comes once the gate opens; the job, whenever it comes, finds the operation done
        open();
        const answer = await unplug;
        expect(answer.operationId).toBe(operationId);
        expect(answer.changes.length).toBeGreaterThan(0);
        // the job, in another worker (a runner of its own): it finds the operation done, runs nothing
        await operationRunner(deps, fabric.dataPlane)("policy.apply", operationId);
        const op = await deps.db.operation.findUniqueOrThrow({ where: { id: operationId } });
        expect(op).toMatchObject({ status: "succeeded", attempts: 1 });
        expect(JSON.stringify(op.steps)).toContain("TSC started");
      } finally {
        open();
        await unplug.catch(() => undefined);
        await fast.close();
      }
    },
  );
});
