import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { createCloud } from "./clouds.ts";
import { authenticateHost, enrollHost, recordHeartbeat } from "./hosts.ts";
import { createJoinToken } from "./join-tokens.ts";
import { freeIdentity, hostFacts, person, randomIdentity } from "../test-support/kit.ts";
import type { HostFacts } from "@nvi/contracts";

/**
 * Issue 16: `install.sh` without `--instance-block` — the console assigns the host a block from its
 * pool. Against the real Postgres, through the calls the agent's enroll and heartbeat make. Each test
 * has a pool of its own (a /23: two blocks) where no other test's hosts live.
 */
let alice: Ctx;
let bob: Ctx;
const rnd = (n: number): number => Math.floor(Math.random() * n);
/** 100.88.0.0/13: outside the fabric addresses `randomIdentity` draws (100.64–87) and the default pool (100.96–127) */
const freshPool = () => `100.${88 + rnd(8)}.${2 * rnd(128)}.0/23`;
const blocksOf = (pool: string) => {
  const [a, b, c] = pool.split(".").map(Number) as [number, number, number];
  return [`${a}.${b}.${c}.0/24`, `${a}.${b}.${c + 1}.0/24`];
};
/** a host on the fabric (datapath id, addresses) that claims no block */
const onFabric = (): Partial<HostFacts> => ({ ...randomIdentity(), instanceBlock: null });

async function joinToken(ctx: Ctx) {
  const cloudId = (
    await createCloud(ctx, { name: `blocks-${rnd(1e6)}`, kind: "baremetal", region: "eu", datacenter: "dc1" })
  ).id;
  return (await createJoinToken(ctx, { cloudId, reusable: true, usageLimit: null, expiresInHours: 1 }, "http://c.test"))
    .joinString;
}
const enroll = (ctx: Ctx, pool: string, token: string, name: string, extra: Partial<HostFacts>) =>
  enrollHost({ ...ctx, instancePool: pool }, { joinToken: token, facts: hostFacts(name, extra) }, null);

beforeAll(async () => {
  alice = await person("blocks-a");
  bob = await person("blocks-b");
});
afterAll(async () => {
  // the pools are drawn at random: leave them free for the next run
  await alice.db.host.deleteMany({ where: { orgId: { in: [alice.actor.orgId, bob.actor.orgId] } } });
  await alice.db.$disconnect();
});

describe("the console assigns instance blocks (install.sh without --instance-block)", () => {
  it("hosts of two organizations get distinct blocks of the pool; a full pool refuses with nothing half-made", async () => {
    const pool = freshPool();
    const [first, second] = blocksOf(pool);
    const [ta, tb] = [await joinToken(alice), await joinToken(bob)];
    const a = await enroll(alice, pool, ta, "a1", onFabric());
    const b = await enroll(bob, pool, tb, "b1", onFabric());
    expect([a.instanceBlock, b.instanceBlock]).toEqual([first, second]);
    const row = await alice.db.host.findUniqueOrThrow({ where: { id: b.hostId } });
    expect(row.instanceBlock).toBe(second);

    const refused = await enroll(alice, pool, ta, "a2", onFabric()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: "INSTANCE_POOL_FULL", kind: "CONFLICT", details: { field: "facts" } });
    expect((refused as Error).message).toContain(pool);
    expect(await alice.db.host.count({ where: { orgId: alice.actor.orgId, name: "a2" } })).toBe(0);
    // a host that brings its own block still enrolls
    const own = await freeIdentity(alice.db);
    expect((await enroll(alice, pool, ta, "a3", own)).instanceBlock).toBe(own.instanceBlock);
  });

  it("a block claimed by hand inside the pool, or holding a fabric address, is skipped", async () => {
    const pool = freshPool();
    const [first, second] = blocksOf(pool);
    const token = await joinToken(alice);
    await enroll(alice, pool, token, "hand", { ...randomIdentity(), instanceBlock: first! });
    expect((await enroll(alice, pool, token, "next", onFabric())).instanceBlock).toBe(second);
    const pool2 = freshPool();
    const [p2first, p2second] = blocksOf(pool2);
    await enroll(bob, pool2, await joinToken(bob), "addr", {
      ...onFabric(),
      fabricAddress: p2first!.replace(".0/24", ".9"),
    });
    const host = await alice.db.host.findFirstOrThrow({ where: { orgId: bob.actor.orgId, name: "addr" } });
    // its own fabric address sits in the first block: it gets the second
    expect(host.instanceBlock).toBe(p2second);
  });

  it("two enrollments racing for the last block: exactly one gets it", async () => {
    const pool = freshPool();
    const token = await joinToken(alice);
    await enroll(alice, pool, token, "r0", onFabric());
    const results = await Promise.allSettled([
      enroll(alice, pool, token, "r1", onFabric()),
      enroll(bob, pool, await joinToken(bob), "r2", onFabric()),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });

  it("a host that enrolled before it had a VEB gets its block with the heartbeat that first reports one", async () => {
    const pool = freshPool();
    const [first] = blocksOf(pool);
    const deps = { ...alice, instancePool: pool };
    const token = await joinToken(alice);
    const enrolled = await enroll(alice, pool, token, "late", {});
    expect(enrolled.instanceBlock).toBeNull();
    const host = await authenticateHost(deps, enrolled.credential);
    expect((await recordHeartbeat(deps, host, hostFacts("late"))).instanceBlock).toBeNull();
    const fabric = onFabric();
    const answer = await recordHeartbeat(deps, host, hostFacts("late", fabric));
    expect(answer.instanceBlock).toBe(first);
    const claimed = await alice.db.auditEvent.findFirst({
      where: { targetId: enrolled.hostId, action: "host.identity.claimed" },
    });
    expect(claimed?.after).toMatchObject({ instanceBlock: first, datapathId: fabric.datapathId });
    // the agent claims what it was given from then on; another block is a change an admin must approve
    expect(
      (await recordHeartbeat(deps, host, hostFacts("late", { ...fabric, instanceBlock: first! }))).instanceBlock,
    ).toBe(first);
    const changed = await recordHeartbeat(
      deps,
      host,
      hostFacts("late", { ...fabric, instanceBlock: "10.9.9.0/24" }),
    ).catch((e: unknown) => e);
    expect(changed).toMatchObject({ code: "HOST_IDENTITY_CONFLICT" });
  });
});
