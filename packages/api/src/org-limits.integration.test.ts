import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreDeps } from "@nvi/core";
import { randomIdentity } from "@nvi/core/test-support";
import {
  agentCall,
  agentFacts,
  joinStringFor,
  json,
  makeTenant,
  restAs,
  testDeps,
  type Tenant,
} from "./test-support/fixtures.ts";

/**
 * Issue 16 review at the edge: what an agent sees when its organization is at its limits (hosts, and
 * /24s of the console's instance pool), and that another tenant does not. The console runs with tiny
 * limits and a pool of its own (a /22 in 100.88.0.0/13, where no other suite's hosts live).
 */
let deps: CoreDeps;
let alice: Tenant;
let bob: Tenant;
const rnd = (n: number): number => Math.floor(Math.random() * n);
const [x, y] = [88 + rnd(8), 4 * rnd(64)];
const pool = `100.${x}.${y}.0/22`;

const joinString = (t: Tenant) => joinStringFor(deps, t);
const enroll = (joinToken: string, extra: Record<string, unknown> = {}) =>
  agentCall(deps, "/agent/enroll", { joinToken, facts: agentFacts(`h-${rnd(1e9)}`, extra) });
const onFabric = () => ({ ...randomIdentity(), instanceBlock: null });

beforeAll(async () => {
  deps = { ...testDeps(), instancePool: pool, orgLimits: { hosts: 2, poolBlocks: 1 } };
  alice = await makeTenant(deps, "lim-alice");
  bob = await makeTenant(deps, "lim-bob");
});
afterAll(async () => {
  await deps.db.host.deleteMany({ where: { orgId: { in: [alice.orgId, bob.orgId] } } });
  await deps.db.$disconnect();
});

describe("limits per organization at /api/v1/agent/*", () => {
  it("an enrollment past the organization's limits is 403 with the limit named; another tenant still enrolls", async () => {
    const token = await joinString(alice);
    const first = await enroll(token, onFabric());
    expect(first.status).toBe(200);
    expect((await json(first)).instanceBlock).toBe(`100.${x}.${y}.0/24`);

    const noBlock = await enroll(token, onFabric());
    expect(noBlock.status).toBe(403);
    const body = await json(noBlock);
    expect(body.data.domainCode).toBe("INSTANCE_BLOCK_QUOTA_REACHED");
    expect(body.message).toContain("NVI_ORG_POOL_BLOCK_LIMIT 1");

    // bob's host gets the next block of the pool
    const theirs = await enroll(await joinString(bob), onFabric());
    expect(theirs.status).toBe(200);
    expect((await json(theirs)).instanceBlock).toBe(`100.${x}.${y + 1}.0/24`);

    expect((await enroll(token)).status).toBe(200);
    const third = await enroll(token);
    expect(third.status).toBe(403);
    const refused = await json(third);
    expect(refused.data.domainCode).toBe("HOST_QUOTA_REACHED");
    expect(refused.message).toContain("NVI_ORG_HOST_LIMIT 2");
    expect(JSON.stringify(refused)).not.toMatch(/at .*\.ts:\d+/);

    // alice's owners see the refusals; bob's audit log does not
    const audit = async (t: Tenant) =>
      (
        (await json(await restAs(deps, t.token)("GET", "/audit-events?action=host.enrollment.refused&limit=100"))) as {
          events: unknown[];
        }
      ).events.length;
    expect(await audit(alice)).toBe(2);
    expect(await audit(bob)).toBe(0);
    const hosts = (await json(await restAs(deps, alice.token)("GET", "/hosts"))) as unknown[];
    expect(hosts).toHaveLength(2);
  });
});
