import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreDeps } from "@nvi/core";
import { freeIdentity, randomIdentity } from "@nvi/core/test-support";
import { enrollAgent, enrolledAgent, heartbeatOf, holdIdentityLock, within } from "./test-support/agents.ts";
import { makeTenant, testDeps, type Tenant } from "./test-support/fixtures.ts";

/**
 * The console-wide identity lock (core's host-identity.ts) is taken only by a claim that may win: a
 * claim another host already holds is refused from a plain read, so a host repeating a conflicting
 * claim (at enrollment or in heartbeats) never waits for the lock nor makes anyone else wait. Claims
 * that may win still take it, so two of them racing never both win.
 */

let deps: CoreDeps;
const tenants: Tenant[] = [];

beforeAll(async () => {
  deps = testDeps();
  for (let i = 0; i < 6; i++) tenants.push(await makeTenant(deps, `idlock-${i}`));
});
afterAll(async () => {
  await deps.db.$disconnect();
});

const tenant = (i: number) => tenants[i % tenants.length]!;
const enroll = (t: Tenant, facts: Record<string, unknown> = {}) => enrollAgent(deps, t, facts);
const enrolled = (t: Tenant, facts: Record<string, unknown> = {}) => enrolledAgent(deps, t, facts);
const heartbeat = (host: Parameters<typeof heartbeatOf>[1], facts: Record<string, unknown>) =>
  heartbeatOf(deps, host, facts);

describe("a conflicting claim is refused without the identity lock", () => {
  it("in a heartbeat and at enrollment, while the lock is held elsewhere", async () => {
    const held = await freeIdentity(deps.db);
    await enrolled(tenant(0), held);
    const claimant = await enrolled(tenant(1));
    const release = await holdIdentityLock();
    try {
      const beat = await within(heartbeat(claimant, { ...(await freeIdentity(deps.db)), datapathId: held.datapathId }));
      expect(beat === "blocked" ? "blocked" : beat.status).toBe(409);
      const joined = await within(enroll(tenant(2), { ...(await freeIdentity(deps.db)), fabricMac: held.fabricMac }));
      expect(joined === "blocked" ? "blocked" : joined.res.status).toBe(409);
    } finally {
      await release();
    }
  });
});

describe("claims that may win still take turns", () => {
  it("hosts of six organizations claiming the same datapath id at once: exactly one wins", async () => {
    const hosts = await Promise.all(tenants.map((t) => enrolled(t)));
    const contested = randomIdentity().datapathId;
    const answers = await Promise.all(
      hosts.map(async (h) => heartbeat(h, { ...(await freeIdentity(deps.db)), datapathId: contested })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await deps.db.host.count({ where: { datapathId: contested } })).toBe(1);
  });

  it("an instance block and a fabric address inside it, claimed at once by two organizations: one wins", async () => {
    for (let round = 0; round < 4; round++) {
      const [a, b] = await Promise.all([enrolled(tenant(round)), enrolled(tenant(round + 1))]);
      const block = await freeIdentity(deps.db);
      const inside = block.instanceBlock.replace(/\.0\/24$/, ".7");
      const answers = await Promise.all([
        heartbeat(a, block),
        heartbeat(b, { ...(await freeIdentity(deps.db)), instanceBlock: undefined, fabricAddress: inside }),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    }
  });

  it("six enrollments with the same fabric MAC at once: exactly one host is enrolled with it", async () => {
    const mac = randomIdentity().fabricMac;
    const answers = await Promise.all(
      tenants.map(async (t) => enroll(t, { ...(await freeIdentity(deps.db)), fabricMac: mac })),
    );
    expect(answers.filter((a) => a.res.status === 200)).toHaveLength(1);
    expect(await deps.db.host.count({ where: { fabricMac: mac } })).toBe(1);
  });
});
