/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- REST answers are JSON, checked by the assertions */
import { REDELIVER_MS } from "@nvi/core";
import { cutProxy, privateRedis, viaPort, type CutProxy, type PrivateRedis } from "@nvi/core/test-support/faults";
import { startAgent, stopAgent } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agree, killAgent, labHost, pollAsDeadAgent, ranOnce } from "./faults-lab.ts";
import { launchRunning } from "./instances-journey.ts";
import { startJourney, type Journey } from "./journey.ts";

/**
 * Issue 18's fault suite on real parts: the console (REST API, its own process), the real worker
 * with its TSC and real agents in two lab datacenters, over a Postgres reached through a proxy this
 * suite cuts and a private redis-server (the project's AOF + noeviction configuration) it kills;
 * never the machine's shared ones. Each fault hits an operation in flight (its host's agent held
 * back so the operation is still running when the fault comes); afterwards the operation completed
 * exactly once or failed with a reason, the API said what happened, and the instances, addresses and
 * VEB ports agree. Fault → recovery times are printed (bench/faults has the p50s).
 */
let j: Journey;
let pg: CutProxy;
let redis: PrivateRedis;
const recovered: [fault: string, seconds: string][] = [];

beforeAll(async () => {
  const url = new URL(process.env.DATABASE_URL ?? "");
  pg = await cutProxy({ host: url.hostname, port: Number(url.port || 5432) });
  redis = await privateRedis();
  j = await startJourney({
    vpcCidr: "10.44.0.0/16",
    subnetCidrs: { dc1: "10.44.1.0/24", dc2: "10.44.2.0/24" },
    stack: { databaseUrl: viaPort(url.toString(), pg.port), redisUrl: redis.url, separateConsole: true },
  });
  await launchRunning(j, [
    ["web-1", "dc1"],
    ["db-2", "dc2"],
  ]);
}, 240_000);

afterAll(async () => {
  await pg?.restore();
  await redis?.start();
  await j?.close();
  await redis?.close();
  await pg?.close();
  console.log(`fault → recovery (one run)\n${recovered.map(([f, s]) => `  ${f}: ${s} s`).join("\n")}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opOf = async (id: string) => (await j.stack.call("GET", `/operations/${id}`)).body;
const running = (id: string) => j.until(`operation ${id} running`, async () => (await opOf(id))?.status === "running");
const agentBack = (dc: string) => startAgent(j.lab.name, labHost(j, dc).id, j.agentCommand[labHost(j, dc).id]);
/** A launch accepted (202) whose host's agent is away: it is running, waiting for the agent, when the fault comes. */
async function launchInFlight(
  name: string,
  dc: string,
  extra: Record<string, unknown> = {},
  hold: (j: Journey, dc: string) => Promise<unknown> = (jj, d) => stopAgent(jj.lab.name, labHost(jj, d).id),
) {
  await hold(j, dc);
  const r = await j.stack.call("POST", "/instances", { name, subnetId: j.subnets[dc], runtime: "netns", ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  await running(r.body.operationId);
  return r.body as { instance: { id: string }; operationId: string };
}
/** The operation's end, and the seconds from `faultEnd` to it. */
async function settled(fault: string, operationId: string, faultEnd: number) {
  const op = await j.finished(operationId, 120_000);
  recovered.push([fault, ((Date.parse(op.finishedAt) - faultEnd) / 1000).toFixed(1)]);
  return op;
}

/** The launch asked again with its idempotency key (a client retrying): the answer, status and operation. */
async function askedAgain(name: string, dc: string, idempotencyKey: string) {
  const r = await j.stack.call("POST", "/instances", {
    name,
    subnetId: j.subnets[dc],
    runtime: "netns",
    idempotencyKey,
  });
  return [r.status, r.body?.operationId];
}

/** The fault is over: the host's agent back (`dc`), the launch succeeds, its start ran once, and everything agrees. */
async function completesOnce(fault: string, operationId: string, dc: string | null, back = Date.now()) {
  if (dc) await agentBack(dc);
  const op = await settled(fault, operationId, back);
  expect(op.status, op.error).toBe("succeeded");
  await ranOnce(j, operationId);
  await agree(j);
}

describe("a process killed with SIGKILL mid-operation", () => {
  it("the worker: the restarted worker finishes the launch exactly once", async () => {
    const l = await launchInFlight("f-worker", "dc1");
    j.stack.killWorker();
    await j.stack.startWorker();
    await completesOnce("worker killed", l.operationId, "dc1");
  });

  it("an agent with a command in flight: restarted, it gets the command on its first poll, not after the 30 s redelivery", async () => {
    const l = await launchInFlight("f-agent", "dc1", {}, killAgent);
    const cmd = await j.until(
      "the start command",
      async () =>
        (await j.stack.deps.db.hostCommand.findFirst({
          where: { operationId: l.operationId, kind: "instance.start" },
        })) ?? undefined,
    );
    // the agent's last poll before it died: it took the command and never answered
    expect(await pollAsDeadAgent(j, "dc1")).toContain(cmd.id);
    const taken = await j.stack.deps.db.hostCommand.findUniqueOrThrow({ where: { id: cmd.id } });
    expect(taken).toMatchObject({ status: "sent", attempts: 1 });
    await agentBack("dc1");
    const back = Date.now();
    const op = await settled("agent killed (command in flight)", l.operationId, back);
    expect(op.status, op.error).toBe("succeeded");
    const done = await j.stack.deps.db.hostCommand.findUniqueOrThrow({ where: { id: cmd.id } });
    expect(done).toMatchObject({ status: "done", attempts: 2 });
    // handed over again by the restarted agent's first poll (resume): the timer could not have before REDELIVER_MS
    expect(done.sentAt!.getTime() - taken.sentAt!.getTime()).toBeLessThan(REDELIVER_MS);
    await ranOnce(j, l.operationId);
    await agree(j);
  });

  it("the console, the client retrying with its idempotency key: one instance, one operation, accepted again (202)", async () => {
    const l = await launchInFlight("f-console", "dc2", { idempotencyKey: "faults-console-1" });
    await j.stack.killConsole();
    await expect(j.stack.call("GET", "/vpcs")).rejects.toThrow(); // nobody answers: the client knows nothing was said
    await j.stack.startConsole();
    expect(await askedAgain("f-console", "dc2", "faults-console-1")).toEqual([202, l.operationId]);
    await completesOnce("console killed", l.operationId, "dc2");
    const named = (await j.stack.call("GET", "/instances")).body.filter((i: any) => i.name === "f-console");
    expect(named).toHaveLength(1);
  });
});

describe("Redis", () => {
  it("down while requests arrive, the console killed after its commit: the launch is accepted (202) and runs once Redis is back", async () => {
    await redis.kill();
    const r = await j.stack.call("POST", "/instances", {
      name: "f-redis-down",
      subnetId: j.subnets.dc2,
      runtime: "netns",
      idempotencyKey: "faults-redis-1",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.instance).toMatchObject({ status: "pending" });
    await j.stack.killConsole(); // the job never reached Redis from the console: the outbox has it
    await sleep(3_000);
    await redis.start(); // the worker's relay sends it now; the console only answers the questions after
    const back = Date.now();
    await j.stack.startConsole();
    await completesOnce("Redis down 3 s (console killed after its commit)", r.body.operationId, null, back);
    expect(await askedAgain("f-redis-down", "dc2", "faults-redis-1")).toEqual([202, r.body.operationId]);
  });

  it("restarted mid-operation (SIGKILL; its AOF keeps the job): the launch completes exactly once", async () => {
    const l = await launchInFlight("f-redis-restart", "dc2");
    await redis.kill();
    await redis.start();
    await completesOnce("Redis restarted", l.operationId, "dc2");
  });

  it("lost together with the worker: both back, the launch completes exactly once", async () => {
    const l = await launchInFlight("f-worker-redis", "dc1");
    j.stack.killWorker();
    await redis.kill();
    await redis.start();
    await j.stack.startWorker();
    await completesOnce("worker and Redis lost", l.operationId, "dc1");
  });
});

describe("Postgres", () => {
  it("restarted (3 s) mid-operation: the API answers 503 with Retry-After meanwhile, the launch completes exactly once", async () => {
    const l = await launchInFlight("f-pg-restart", "dc2");
    await pg.cut();
    const during = await j.stack.call("GET", "/vpcs");
    expect(during.status).toBe(503);
    expect(JSON.stringify(during.body)).toContain("DATABASE_UNAVAILABLE");
    await sleep(3_000);
    await pg.restore();
    await completesOnce("Postgres restart 3 s", l.operationId, "dc2");
  });

  it("down longer than the job's retry budget mid-operation: the launch fails with the reason (not running for ever), and a retry succeeds", async () => {
    const l = await launchInFlight("f-pg-long", "dc1");
    await pg.cut();
    // down until the job has given up (5 attempts, backoff 1 + 2 + 4 + 8 s): its last failure logged
    const gaveUp = () =>
      j.stack
        .workerLog()
        .split("\n")
        .filter((line) => line.includes("job failed") && line.includes(l.operationId)).length >= 5;
    await j.until("the job to give up", () => Promise.resolve(gaveUp()), 120_000);
    await pg.restore();
    const back = Date.now();
    const failed = await settled("Postgres down past the retries", l.operationId, back);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/stopped before it finished \(its job failed \d+ times[\s\S]*\); retry it$/);
    expect((await j.stack.call("GET", `/instances/${l.instance.id}`)).body).toMatchObject({ status: "failed" });
    await agentBack("dc1");
    const retried = await j.stack.call("POST", `/operations/${l.operationId}/retry`, {});
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    const op = await j.finished(l.operationId, 120_000);
    expect(op.status, op.error).toBe("succeeded");
    await ranOnce(j, l.operationId);
    await agree(j);
    const web = (await j.stack.call("GET", "/instances")).body.find((i: any) => i.name === "f-pg-long");
    const db2 = (await j.stack.call("GET", "/instances")).body.find((i: any) => i.name === "db-2");
    expect(await j.pingFrom(web.id, db2.address)).toBe(true);
  });
});
