import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreDeps, type CoreDeps, type Ctx } from "../context.ts";
import { launchInstance } from "../instances/instances.ts";
import { recordingPlane } from "../test-support/agent.ts";
import { cutProxy, viaPort, type CutProxy } from "../test-support/faults.ts";
import { codeOf, testQueue, tenantWithHost } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { retryOperation } from "./operations.ts";
import { failAbandonedOperation, failOverdueOperations, OPERATION_DEADLINE_MS } from "./progress.ts";
import { runOperation } from "./run-operation.ts";

/**
 * Issue 18, "not tried yet": Postgres down longer than a job's retry budget mid-operation. The run
 * fails, the job's failure mark cannot land (Postgres is still down), and its worker is lost with the
 * mark: the operation must not stay `running` for ever. The deadline sweep ends it `failed` with the
 * reason, the instance agrees, and a retry is accepted. Real Postgres, reached through a proxy this
 * suite cuts (never the shared server).
 */
let ctx: Ctx;
let viaProxy: CoreDeps;
let pg: CutProxy;
let subnetId: string;
let hostId: string;
const queue = testQueue("deadline");

beforeAll(async () => {
  const url = new URL(process.env.DATABASE_URL ?? "");
  pg = await cutProxy({ host: url.hostname, port: Number(url.port || 5432) });
  viaProxy = createCoreDeps(viaPort(url.toString(), pg.port));
  const t = await tenantWithHost("deadline", { deps: viaProxy });
  ctx = t.ctx;
  hostId = t.hostId;
  const vpc = await createVpc(ctx, { name: "v", cidr: "10.93.0.0/16", allowOverlap: true });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId: t.cloudId, name: "s", cidr: "10.93.1.0/24" })).id;
}, 30_000);
afterAll(async () => {
  await pg.restore();
  await queue.close();
  await viaProxy.db.$disconnect();
  await pg.close();
});

/** The operation's attempt began `ms` ago (the clock is not moved: other suites' operations share the database). */
const begunAgo = (id: string, ms: number) =>
  viaProxy.db.operation.update({ where: { id }, data: { startedAt: new Date(Date.now() - ms) } });
const opOf = (id: string) => viaProxy.db.operation.findUniqueOrThrow({ where: { id } });
/**
 * Postgres is back once a query through the proxy answers: a pooled connection the cut reset can
 * still fail the first query after `restore` ("Server has closed the connection"); the next one
 * opens a fresh connection.
 */
async function untilPostgresAnswers(): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await viaProxy.db.$queryRaw`SELECT 1`;
      return;
    } catch (e) {
      if (i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("an operation never stays running for ever", () => {
  it("Postgres down past the retry budget mid-launch, the worker lost with its failure mark: the deadline fails it with the reason, the instance agrees, a retry is accepted", async () => {
    await viaProxy.db.host.update({ where: { id: hostId }, data: { lastSeenAt: new Date() } });
    const l = await launchInstance(ctx, queue, { name: "pg-long", subnetId, hostId, runtime: "netns", memoryMiB: 64 });
    // the worker runs it; the agent never answers, so it waits for its command's result in Postgres
    const run = runOperation(viaProxy, recordingPlane().plane, "instance.launch", l.operationId, {
      commandTimeoutMs: 60_000,
    });
    for (let i = 0; i < 100 && (await opOf(l.operationId)).status !== "running"; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await opOf(l.operationId)).status).toBe("running");
    await pg.cut();
    await expect(run).rejects.toThrow(); // the attempt fails, and so would every retry while Postgres is down
    // the last attempt's failure mark does not land either
    expect(await codeOf(failAbandonedOperation(viaProxy, l.operationId, "its job failed 5 times"))).not.toBe("ok");
    await pg.restore();
    await untilPostgresAnswers();
    // ... and the worker that held the mark in memory is gone: the operation is still running
    expect((await opOf(l.operationId)).status).toBe("running");

    await begunAgo(l.operationId, OPERATION_DEADLINE_MS / 2);
    expect(await failOverdueOperations(viaProxy)).not.toContain(l.operationId);
    await begunAgo(l.operationId, OPERATION_DEADLINE_MS + 1_000);
    expect(await failOverdueOperations(viaProxy)).toContain(l.operationId);
    const op = await opOf(l.operationId);
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/ran past its 600 s deadline.*retry it/);
    const inst = await viaProxy.db.instance.findUniqueOrThrow({ where: { id: l.instance.id } });
    expect(inst).toMatchObject({ status: "failed", statusReason: expect.stringMatching(/instance.launch stopped/) });
    const retried = await retryOperation(ctx, queue, { operationId: l.operationId });
    expect(retried.status).toBe("queued");
  }, 60_000);

  it("a running operation younger than the deadline, or one already finished, is left alone", async () => {
    await viaProxy.db.host.update({ where: { id: hostId }, data: { lastSeenAt: new Date() } });
    const l = await launchInstance(ctx, queue, { name: "young", subnetId, hostId, runtime: "netns", memoryMiB: 64 });
    await viaProxy.db.operation.update({ where: { id: l.operationId }, data: { status: "running" } });
    await begunAgo(l.operationId, OPERATION_DEADLINE_MS - 60_000);
    expect(await failOverdueOperations(viaProxy)).not.toContain(l.operationId);
    await viaProxy.db.operation.update({ where: { id: l.operationId }, data: { status: "succeeded" } });
    await begunAgo(l.operationId, OPERATION_DEADLINE_MS * 2);
    expect(await failOverdueOperations(viaProxy)).not.toContain(l.operationId);
    expect((await opOf(l.operationId)).status).toBe("succeeded");
  }, 30_000);
});
