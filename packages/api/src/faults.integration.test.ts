import { ALL_SCOPES } from "@nvi/contracts";
import { createApiToken, createCoreDeps, createSubnet, createVpc, redisOperationQueue, type CoreDeps } from "@nvi/core";
import { tenantWithHost } from "@nvi/core/test-support";
import { cutProxy, privateRedis, viaPort, type CutProxy, type PrivateRedis } from "@nvi/core/test-support/faults";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cachedProbe, dependencyHealth } from "./health.ts";
import { handleTrpc } from "./http.ts";
import { headerContext, json, restAs } from "./test-support/fixtures.ts";

/**
 * What the API answers while a dependency is down, against the real Postgres (reached through a
 * proxy this suite cuts, as a restart looks to a client) and a private redis-server it kills:
 * a retryable 503 with Retry-After and a stable code, never a 500; a launch is accepted (202) with its operation.
 */
let pg: CutProxy;
let redis: PrivateRedis;
let queue: ReturnType<typeof redisOperationQueue>;
let deps: CoreDeps;
let token = "";
let subnetId = "";

beforeAll(async () => {
  const tenant = await tenantWithHost("faults");
  const vpc = await createVpc(tenant.ctx, { name: "v", cidr: "10.93.0.0/16", allowOverlap: true });
  subnetId = (
    await createSubnet(tenant.ctx, { vpcId: vpc.id, cloudId: tenant.cloudId, name: "s", cidr: "10.93.1.0/24" })
  ).id;
  token = (await createApiToken(tenant.ctx, { name: "faults", scopes: [...ALL_SCOPES], expiresInDays: 1 })).secret;
  await tenant.ctx.db.$disconnect();
  pg = await cutProxy({ host: "127.0.0.1", port: Number(new URL(process.env.DATABASE_URL!).port || 5432) });
  deps = createCoreDeps(viaPort(process.env.DATABASE_URL!, pg.port));
  redis = await privateRedis();
  queue = redisOperationQueue(redis.url, `nvitest-faults-${Date.now().toString(36)}`);
});
beforeEach(async () => {
  await pg.restore(); // random order: each test begins with both up
  await redis.start();
});
afterAll(async () => {
  await Promise.race([queue.close(), new Promise((r) => setTimeout(r, 1_000))]);
  await redis.close();
  await deps.db.$disconnect();
  await pg.close();
});

// deps, the token and the queue are made in beforeAll: read at each call
const context = (req: Request) => headerContext(deps, req.headers, queue);
const call = (method: string, path: string, body?: unknown) => restAs(deps, token, queue)(method, path, body);

describe("answers during a dependency outage", () => {
  it("Postgres down: REST and tRPC answer 503 DATABASE_UNAVAILABLE with Retry-After, then 200 once it is back", async () => {
    expect((await call("GET", "/vpcs")).status).toBe(200);
    await pg.cut();
    const rest = await call("GET", "/vpcs");
    expect(rest.status).toBe(503);
    expect(rest.headers.get("retry-after")).toBe("2");
    expect((await json(rest)).data).toMatchObject({ domainCode: "DATABASE_UNAVAILABLE", retryAfterSeconds: 2 });
    const trpc = await handleTrpc(
      new Request("http://localhost/api/trpc/vpc.list", { headers: { authorization: `Bearer ${token}` } }),
      context,
    );
    expect(trpc.status).toBe(503);
    expect(trpc.headers.get("retry-after")).toBe("2");
    expect(JSON.stringify(await json(trpc))).toContain("DATABASE_UNAVAILABLE");
    await pg.restore();
    expect((await call("GET", "/vpcs")).status).toBe(200);
  }, 30_000);

  it("Redis down: a launch is accepted (202) with its operation within 2.5 s, queued for the relay", async () => {
    await redis.kill();
    const t0 = Date.now();
    const res = await call("POST", "/instances", { name: "r-down", subnetId, idempotencyKey: "faults-api-key-1" });
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(res.status).toBe(202);
    const body = await json(res);
    const op = await deps.db.operation.findUniqueOrThrow({ where: { id: body.operationId } });
    expect(op).toMatchObject({ status: "queued", enqueuedAt: null });
  }, 30_000);
});

describe("/api/health's probes", () => {
  it("answer without waiting for a dependency that is down or hangs, saying which one is", async () => {
    const dead = new Redis(redis.url, { maxRetriesPerRequest: 2 });
    dead.on("error", () => undefined);
    const probes = {
      postgres: cachedProbe(() => deps.db.$queryRaw`SELECT 1`),
      redis: cachedProbe(() => dead.ping()),
    };
    // a probe that never settles (its own timeout 10 s): the answer comes after the 80 ms wait, not 10 s (the bound
    // below leaves room for a loaded machine's scheduling; it is not a speed target)
    const hung = { ...probes, hung: cachedProbe(() => new Promise<never>(() => undefined), { timeoutMs: 10_000 }) };
    const h0 = Date.now();
    expect((await dependencyHealth(hung)).status).not.toBe("ok");
    expect(Date.now() - h0).toBeLessThan(1_000);
    // both up first (a first connection on a loaded machine may take longer than one probe's 500 ms)
    let up = "";
    for (let i = 0; i < 20 && up !== "ok"; i++) {
      up = (await dependencyHealth(probes, 1_000)).status;
      if (up !== "ok") await new Promise((r) => setTimeout(r, 1_100));
    }
    expect(up).toBe("ok");
    await redis.kill();
    for (let i = 0; i < 30; i++) {
      const t0 = Date.now();
      const health = await dependencyHealth(probes);
      expect(Date.now() - t0).toBeLessThan(1_000);
      if (health.dependencies.redis?.state === "down") {
        expect(health).toMatchObject({ status: "degraded", dependencies: { postgres: { state: "ok" } } });
        dead.disconnect();
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    dead.disconnect();
    throw new Error("the probe never said Redis is down");
  }, 30_000);
});
