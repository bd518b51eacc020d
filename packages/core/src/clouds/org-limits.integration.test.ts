import type { HostFacts } from "@nvi/contracts";
import { afterAll, describe, expect, it } from "vitest";
import type { Ctx, OrgLimits } from "../context.ts";
import { DomainError } from "../errors.ts";
import { freeIdentity, hostFacts, person, randomIdentity } from "../test-support/kit.ts";
import { createCloud } from "./clouds.ts";
import { approveHostIdentity } from "./host-identity.ts";
import { authenticateHost, enrollHost, recordHeartbeat } from "./hosts.ts";
import { createJoinToken } from "./join-tokens.ts";

/**
 * Issue 16 review: one tenant must not take what every tenant shares. Tenant A forges enrollments
 * (a reusable join token, hosts that claim no block, or wide blocks by hand inside the pool) against a
 * tiny pool with small limits; tenant B still enrolls and gets a block. Against the real Postgres,
 * through the calls the agent's enroll and heartbeat make; each test has a pool of its own (a /22:
 * four /24s) in 100.88.0.0/13, where neither `randomIdentity` nor the default pool put anything.
 */
/** every test makes its own tenants (tests run in random order and share nothing) */
const made: Ctx[] = [];
const tenant = async (tag: string) => {
  const ctx = await person(tag);
  made.push(ctx);
  return ctx;
};
const rnd = (n: number): number => Math.floor(Math.random() * n);
const freshPool = () => {
  const [x, y] = [88 + rnd(8), 4 * rnd(64)];
  return { pool: `100.${x}.${y}.0/22`, blocks: [0, 1, 2, 3].map((i) => `100.${x}.${y + i}.0/24`) };
};
/** a host on the fabric (datapath id, addresses) that claims no block: the console assigns one */
const onFabric = (): Partial<HostFacts> => ({ ...randomIdentity(), instanceBlock: null });

async function joinToken(ctx: Ctx): Promise<string> {
  const cloudId = (
    await createCloud(ctx, { name: `limits-${rnd(1e6)}`, kind: "baremetal", region: "eu", datacenter: "dc1" })
  ).id;
  return (await createJoinToken(ctx, { cloudId, reusable: true, usageLimit: null, expiresInHours: 1 }, "http://c.test"))
    .joinString;
}
const deps = (ctx: Ctx, pool: string, limits: Partial<OrgLimits>) => ({
  ...ctx,
  instancePool: pool,
  orgLimits: limits,
});
const enroll = (ctx: Ctx, pool: string, limits: Partial<OrgLimits>, token: string, extra: Partial<HostFacts>) =>
  enrollHost(deps(ctx, pool, limits), { joinToken: token, facts: hostFacts(`h-${rnd(1e9)}`, extra) }, null);
const refusal = (p: Promise<unknown>) => p.then(() => null).catch((e: unknown) => e);
const hostsOf = (ctx: Ctx) => ctx.db.host.count({ where: { orgId: ctx.actor.orgId } });

afterAll(async () => {
  // the pools are drawn at random: leave them free for the next run
  await made[0]?.db.host.deleteMany({ where: { orgId: { in: made.map((t) => t.actor.orgId) } } });
  await made[0]?.db.$disconnect();
});

describe("limits per organization (hosts, and /24s of the instance pool)", () => {
  it("tenant A's forged enrollments stop at its share of the pool; tenant B still enrolls and gets a block", async () => {
    const [a, b] = [await tenant("limits-a"), await tenant("limits-b")];
    const { pool, blocks } = freshPool();
    const limits = { hosts: 4, poolBlocks: 2 };
    const token = await joinToken(a);
    const first = await enroll(a, pool, limits, token, onFabric());
    const second = await enroll(a, pool, limits, token, onFabric());
    expect([first.instanceBlock, second.instanceBlock]).toEqual(blocks.slice(0, 2));

    const uses = async () => (await a.db.joinToken.findFirstOrThrow({ where: { orgId: a.actor.orgId } })).uses;
    const usedBefore = await uses();
    const audited = () => a.db.auditEvent.count({ where: { orgId: a.actor.orgId, action: "host.enrollment.refused" } });
    const auditedBefore = await audited();
    const third = await refusal(enroll(a, pool, limits, token, onFabric()));
    expect(third).toBeInstanceOf(DomainError);
    expect(third).toMatchObject({ code: "INSTANCE_BLOCK_QUOTA_REACHED", kind: "FORBIDDEN" });
    expect((third as Error).message).toContain("NVI_ORG_POOL_BLOCK_LIMIT 2");
    // a block claimed by hand inside the pool counts as much as an assigned one
    const byHand = await refusal(enroll(a, pool, limits, token, { ...randomIdentity(), instanceBlock: blocks[3]! }));
    expect(byHand).toMatchObject({ code: "INSTANCE_BLOCK_QUOTA_REACHED" });
    expect([await hostsOf(a), await uses()]).toEqual([2, usedBefore]);
    expect(await audited()).toBe(auditedBefore + 2);

    // tenant B's host gets a block of the pool A could not take
    const tb = await joinToken(b);
    expect((await enroll(b, pool, limits, tb, onFabric())).instanceBlock).toBe(blocks[2]);
    // A's own blocks outside the pool are A's business, up to its host limit
    await enroll(a, pool, limits, token, await freeIdentity(a.db));
    await enroll(a, pool, limits, token, {});
    const fifth = await refusal(enroll(a, pool, limits, token, await freeIdentity(a.db)));
    expect(fifth).toMatchObject({ code: "HOST_QUOTA_REACHED", kind: "FORBIDDEN", details: { field: "joinToken" } });
    expect((fifth as Error).message).toMatch(/4 hosts.*NVI_ORG_HOST_LIMIT 4/);
    expect(await hostsOf(a)).toBe(4);
  });

  it("a wide block by hand inside the pool is refused beyond the share; outside the pool it is not counted", async () => {
    const b = await tenant("limits-wide");
    const { pool, blocks } = freshPool();
    const token = await joinToken(b);
    const wide = pool.replace("/22", "/23");
    const refused = await refusal(
      enroll(b, pool, { poolBlocks: 1 }, token, { ...randomIdentity(), instanceBlock: wide }),
    );
    expect(refused).toMatchObject({ code: "INSTANCE_BLOCK_QUOTA_REACHED" });
    expect((refused as Error).message).toContain(`${wide} would take 2 more`);
    const ok = await enroll(b, pool, { poolBlocks: 2 }, token, { ...randomIdentity(), instanceBlock: wide });
    expect(ok.instanceBlock).toBe(wide);
    // small blocks: the first in a /24 takes it, a second in the same /24 takes nothing more
    const limits = { poolBlocks: 3 };
    const small = (i: number, at: string) => ({ ...randomIdentity(), instanceBlock: blocks[i]!.replace(".0/24", at) });
    await enroll(b, pool, limits, token, small(2, ".0/26"));
    await enroll(b, pool, limits, token, small(2, ".64/26"));
    await expect(refusal(enroll(b, pool, limits, token, small(3, ".0/26")))).resolves.toMatchObject({
      code: "INSTANCE_BLOCK_QUOTA_REACHED",
    });
  });

  it("enrollments racing at the host limit: exactly the limit enroll", async () => {
    const a = await tenant("limits-race");
    const { pool } = freshPool();
    const limits = { hosts: 3, poolBlocks: 100 };
    const token = await joinToken(a);
    await enroll(a, pool, limits, token, {});
    // each racer has its own join token (one token's row would serialize them by itself)
    const tokens = await Promise.all(Array.from({ length: 6 }, () => joinToken(a)));
    const results = await Promise.allSettled(tokens.map((t) => enroll(a, pool, limits, t, {})));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    for (const r of results.filter((r) => r.status === "rejected"))
      expect(r.reason).toMatchObject({ code: "HOST_QUOTA_REACHED" });
    expect(await hostsOf(a)).toBe(3);
  });

  it("enrollments racing at the pool share: exactly the share gets blocks", async () => {
    const b = await tenant("limits-race-pool");
    const limits = { poolBlocks: 2 };
    const tb = await joinToken(b);
    const { pool, blocks } = freshPool();
    const held = () => b.db.host.count({ where: { orgId: b.actor.orgId, instanceBlock: { in: blocks } } });
    const tokens = [tb, ...(await Promise.all(Array.from({ length: 3 }, () => joinToken(b))))];
    const results = await Promise.allSettled(tokens.map((t) => enroll(b, pool, limits, t, onFabric())));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    for (const r of results.filter((r) => r.status === "rejected"))
      expect(r.reason).toMatchObject({ code: "INSTANCE_BLOCK_QUOTA_REACHED" });
    expect(await held()).toBe(2);
  });

  it("a host that comes onto the fabric at a heartbeat gets no block past the share: refused, shown on the host, audited", async () => {
    const a = await tenant("limits-beat");
    const { pool, blocks } = freshPool();
    const limits = { poolBlocks: 1 };
    const token = await joinToken(a);
    const ctx = deps(a, pool, limits);
    const holder = await enroll(a, pool, limits, token, onFabric());
    expect(holder.instanceBlock).toBe(blocks[0]);
    const late = await enroll(a, pool, limits, token, {});
    const host = await authenticateHost(ctx, late.credential);
    const fabric = onFabric();
    const beat = await refusal(recordHeartbeat(ctx, host, hostFacts(host.name, fabric)));
    expect(beat).toMatchObject({ code: "INSTANCE_BLOCK_QUOTA_REACHED", kind: "FORBIDDEN" });
    const row = await a.db.host.findUniqueOrThrow({ where: { id: host.id } });
    expect([row.instanceBlock, row.datapathId]).toEqual([null, null]);
    expect(row.identityProblem).toContain("NVI_ORG_POOL_BLOCK_LIMIT 1");
    // a block by hand inside the pool at a heartbeat: the same
    const byHand = await refusal(
      recordHeartbeat(ctx, host, hostFacts(host.name, { ...fabric, instanceBlock: blocks[2]! })),
    );
    expect(byHand).toMatchObject({ code: "INSTANCE_BLOCK_QUOTA_REACHED" });
    const refused = await a.db.auditEvent.count({ where: { targetId: host.id, action: "host.identity.refused" } });
    expect(refused).toBe(2);
    // an admin cannot approve it past the share either
    await expect(refusal(approveHostIdentity(ctx, { hostId: host.id }))).resolves.toMatchObject({
      code: "INSTANCE_BLOCK_QUOTA_REACHED",
    });
    // once the holder is gone, the next heartbeat gets its block
    await a.db.host.delete({ where: { id: holder.hostId } });
    expect((await recordHeartbeat(ctx, host, hostFacts(host.name, fabric))).instanceBlock).toBe(blocks[0]);
  });
});
