import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCloud,
  createGroup,
  createJoinToken,
  createSubnet,
  createVpc,
  enrollHost,
  redisOperationQueue,
  resolveUserActor,
  type CoreDeps,
} from "@nvi/core";
import { handleRest, handleTrpc, openApiDocument } from "./http.ts";
import { appRouter } from "./root.ts";
import { anyValue, bodyFor, operationsOf, pathSegment, queryFor } from "./test-support/fuzz.ts";
import { headerContext, hostFacts, makeTenant, testDeps, type Tenant } from "./test-support/fixtures.ts";

/**
 * Every REST operation (read from the OpenAPI document the API serves, the agent's included) and
 * every tRPC procedure gets schema-violating input through the real handler stack and real
 * Postgres. Whatever comes in, the answer is never a 5xx. Seeded and bounded (a few requests per
 * operation, six at a time); a failure lists the requests to replay.
 */
const SEED = 20_261_305;
const RUNS_PER_OPERATION = 12;
const CONCURRENCY = 6;

let deps: CoreDeps;
let tenant: Tenant;
let hostCredential: string;
let ids: Record<string, string> = {};
const getIds = () => ids;

beforeAll(async () => {
  deps = testDeps();
  tenant = await makeTenant(deps, "fuzz");
  const actor = await resolveUserActor(deps, { userId: tenant.userId, preferredOrgId: tenant.orgId, sourceIp: null });
  const ctx = { ...deps, actor };
  const cloud = await createCloud(ctx, { name: "fuzz-cloud", kind: "docker", region: "eu", datacenter: "fra1" });
  const jt = await createJoinToken(
    ctx,
    { cloudId: cloud.id, reusable: true, usageLimit: 5, expiresInHours: 1 },
    "http://x",
  );
  const facts = hostFacts("fuzz-host", {
    datacenter: null,
    runtimes: { docker: true, qemu: false, netns: true },
    agentVersion: "0.0.0",
  });

  const enrolled = await enrollHost(deps, { joinToken: jt.joinString, facts }, null);
  hostCredential = enrolled.credential;
  const vpc = await createVpc(ctx, { name: "fuzz-vpc", cidr: "10.77.0.0/16", allowOverlap: true });
  const subnet = await createSubnet(ctx, { vpcId: vpc.id, cloudId: cloud.id, name: "fuzz-sn", cidr: "10.77.1.0/24" });
  // a queue of its own that nothing consumes: the group only has to exist (the fuzzed requests get no queue at all)
  const queue = redisOperationQueue(
    process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    `nvitest-fuzz-${Date.now().toString(36)}`,
  );
  const group = (await createGroup(ctx, queue, { vpcId: vpc.id, name: "fuzz-g", matchLabels: { tier: "web" } }))
    .targetId!;
  await queue.close();
  ids = {
    cloudId: cloud.id,
    hostId: enrolled.hostId,
    vpcId: vpc.id,
    peerVpcId: vpc.id,
    subnetId: subnet.id,
    joinTokenId: jt.joinToken.id,
    tokenId: tenant.tokenId,
    groupId: group,
    srcGroupId: group,
    dstGroupId: group,
  };
});
afterAll(async () => {
  await deps.db.$disconnect();
});

async function statusOf(req: Request, via: "rest" | "trpc"): Promise<number> {
  const context = (r: Request) => headerContext(deps, r.headers);
  const response = via === "rest" ? await handleRest(req, context) : await handleTrpc(req, context);
  await response.arrayBuffer();
  return response.status;
}

/** Runs the requests a few at a time; returns the ones answered with a 5xx. */
async function fiveHundreds(
  requests: { label: string; make: () => Request; via: "rest" | "trpc" }[],
): Promise<string[]> {
  const failures: string[] = [];
  const queue = [...requests];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const status = await statusOf(r.make(), r.via);
        if (status >= 500) failures.push(`${status} ${r.label}`);
      }
    }),
  );
  return failures;
}

describe("schema-violating input never gets a 5xx", () => {
  const ops = operationsOf(openApiDocument("http://localhost"));

  it("enumerates the REST operations from the OpenAPI document, the agent's included", () => {
    expect(ops.length).toBeGreaterThan(60);
    expect(
      ops
        .filter((o) => o.path.startsWith("/agent/"))
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual([
      "POST /agent/commands",
      "POST /agent/commands/{commandId}/result",
      "POST /agent/enroll",
      "POST /agent/heartbeat",
      "POST /agent/serial/wait",
      "POST /agent/serial/{sessionId}/attach",
    ]);
  });

  it("every REST operation", async () => {
    const requests = ops.flatMap((op, n) => {
      const credential = op.path.startsWith("/agent/") ? hostCredential : tenant.token;
      const segments = (op.path.match(/\{[^}]+\}/g) ?? []).length;
      const hasBody = op.method !== "GET" && op.method !== "DELETE";
      const arbitrary = fc.tuple(
        fc.array(pathSegment(getIds), { minLength: segments, maxLength: segments }),
        queryFor(op.query, getIds),
        bodyFor(op.body, getIds),
      );
      return fc.sample(arbitrary, { seed: SEED + n, numRuns: RUNS_PER_OPERATION }).map(([params, qs, body]) => {
        let i = 0;
        const url = `http://localhost/api/v1${op.path.replace(/\{[^}]+\}/g, () => params[i++] ?? "x")}${qs ? `?${qs}` : ""}`;
        const headers: Record<string, string> = { authorization: `Bearer ${credential}` };
        if (hasBody) headers["content-type"] = body.json ? "application/json" : "text/plain";
        return {
          label: `${op.method} ${url} ${hasBody ? JSON.stringify(body.text.slice(0, 300)) : ""}`,
          make: () => new Request(url, { method: op.method, headers, ...(hasBody ? { body: body.text } : {}) }),
          via: "rest" as const,
        };
      });
    });
    expect(await fiveHundreds(requests), `seed ${SEED}`).toEqual([]);
  }, 60_000);

  it("every tRPC procedure", async () => {
    const requests = Object.entries(appRouter._def.procedures).flatMap(([name, procedure], n) => {
      const credential = name.startsWith("agent") ? hostCredential : tenant.token;
      const query = (procedure as unknown as { _def: { type: string } })._def.type === "query";
      const headers = { authorization: `Bearer ${credential}`, "content-type": "application/json" };
      return fc.sample(anyValue, { seed: SEED + n, numRuns: RUNS_PER_OPERATION / 2 }).map((input) => {
        const json = JSON.stringify(input ?? null).replace(/[\ud800-\udfff]/g, "x");
        return {
          label: `${name} ${json.slice(0, 300)}`,
          make: () =>
            query
              ? new Request(`http://localhost/api/trpc/${name}?input=${encodeURIComponent(json)}`, { headers })
              : new Request(`http://localhost/api/trpc/${name}`, { method: "POST", headers, body: json }),
          via: "trpc" as const,
        };
      });
    });
    expect(await fiveHundreds(requests), `seed ${SEED}`).toEqual([]);
  }, 60_000);
});
