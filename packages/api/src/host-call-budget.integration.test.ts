import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreDeps } from "@nvi/core";
import { freeIdentity, randomIdentity } from "@nvi/core/test-support";
import { enrolledAgent, heartbeatOf, holdIdentityLock, within } from "./test-support/agents.ts";
import { agentCall, json, makeTenant, testDeps, type Tenant } from "./test-support/fixtures.ts";

/**
 * One tenant's looping agent never stops anyone else (core's host-call-budget.ts): every call with a
 * host credential spends from its host's bucket, and a heartbeat whose claim takes the console-wide
 * identity lock spends from a tighter one first. Over budget: 429 with Retry-After, nothing stored,
 * the lock not asked for. The buckets are rows in Postgres, shared by every console replica.
 */

let deps: CoreDeps;
let mallory: Tenant;
let bob: Tenant;
let carol: Tenant;

beforeAll(async () => {
  deps = testDeps();
  [mallory, bob, carol] = await Promise.all([
    makeTenant(deps, "rate-mallory"),
    makeTenant(deps, "rate-bob"),
    makeTenant(deps, "rate-carol"),
  ]);
});
afterAll(async () => {
  await deps.db.$disconnect();
});

describe("a hostile host floods claim-bearing heartbeats", () => {
  it("gets 429s once over its claim budget while another organization enrolls and claims, within a bound", async () => {
    // bob holds an identity; mallory's host claims bob's datapath id again and again (each one a first
    // claim that conflicts: before the budget, every one took the console-wide identity lock)
    const held = await freeIdentity(deps.db);
    await enrolledAgent(deps, bob, held);
    const hostile = await enrolledAgent(deps, mallory);
    const stolen = { ...(await freeIdentity(deps.db)), datapathId: held.datapathId };
    const before = await deps.db.host.findUniqueOrThrow({ where: { id: hostile.hostId } });

    const statuses: number[] = [];
    let flooding = true;
    const flooder = async () => {
      while (flooding) {
        const res = await heartbeatOf(deps, hostile, stolen);
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
          expect((await json(res)) as unknown).toMatchObject({ data: { domainCode: "RATE_LIMITED" } });
        }
      }
    };
    const flood = Promise.all(Array.from({ length: 6 }, flooder));
    // carol, another organization, enrolls a host and makes its first claim while the flood goes on
    while (statuses.length < 40) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    const victim = await enrolledAgent(deps, carol);
    const claimed = await heartbeatOf(deps, victim, await freeIdentity(deps.db));
    const took = Date.now() - started;
    const floodedDuring = statuses.length;
    flooding = false;
    await flood;

    expect(claimed.status).toBe(200);
    // generous for a loaded 2-vCPU machine: an enrollment and a heartbeat, not a queue behind the flood
    expect(took).toBeLessThan(15_000);
    expect(floodedDuring).toBeGreaterThan(40);
    // the flood was refused: only its claim budget (12 at once) reached the identity check
    expect(statuses.filter((s) => s === 409).length).toBeLessThanOrEqual(12);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(statuses.length / 2);
    // nothing of the refused calls was stored: no heartbeat was recorded, bob keeps his datapath id
    const after = await deps.db.host.findUniqueOrThrow({ where: { id: hostile.hostId } });
    expect(after.lastSeenAt).toEqual(before.lastSeenAt);
    expect(after.datapathId).toBeNull();
  });

  it("a refused claim-bearing heartbeat never waits for the identity lock", async () => {
    const small = { ...deps, hostCallBudgets: { claim: { burst: 1, perSecond: 0.001 } } };
    // a host whose claim budget is spent (its one claim made), while something else holds the identity lock
    const spent = await enrolledAgent(small, mallory);
    expect((await heartbeatOf(small, spent, { datapathId: randomIdentity().datapathId })).status).toBe(200);
    const release = await holdIdentityLock();
    try {
      const answer = await within(heartbeatOf(small, spent, { fabricMac: randomIdentity().fabricMac }));
      expect(answer === "blocked" ? "blocked" : answer.status).toBe(429);
    } finally {
      await release();
    }
  });
});

describe("budgets are per host", () => {
  const small = () => ({ ...deps, hostCallBudgets: { call: { burst: 5, perSecond: 0.001 } } });

  it("one host over its budget leaves every other host's untouched, in its organization or another", async () => {
    const d = small();
    const noisy = await enrolledAgent(d, mallory);
    const sibling = await enrolledAgent(d, mallory);
    const other = await enrolledAgent(d, bob);
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) answers.push((await heartbeatOf(d, noisy)).status);
    expect(answers).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    for (const host of [sibling, other])
      for (let i = 0; i < 4; i++) expect((await heartbeatOf(d, host)).status).toBe(200);
    // the command poll spends from the same bucket as the heartbeat
    expect((await agentCall(d, "/agent/commands", { inventory: [] }, noisy.credential)).status).toBe(429);
    expect((await agentCall(d, "/agent/commands", { inventory: [] }, other.credential)).status).toBe(200);
    expect((await agentCall(d, "/agent/commands", { inventory: [] }, other.credential)).status).toBe(429);
  });

  it("every console replica spends from the same bucket, and it refills with time", async () => {
    let now = Date.now();
    const replicaA = { ...small(), clock: () => new Date(now) };
    const other = testDeps();
    const replicaB = { ...other, hostCallBudgets: replicaA.hostCallBudgets, clock: () => new Date(now) };
    try {
      const host = await enrolledAgent(replicaA, carol);
      const answers: number[] = [];
      for (let i = 0; i < 4; i++) {
        answers.push((await heartbeatOf(replicaA, host)).status);
        answers.push((await heartbeatOf(replicaB, host)).status);
      }
      expect(answers.filter((s) => s === 200)).toHaveLength(5);
      const refused = await heartbeatOf(replicaB, host);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(60);
      expect((await json(refused)).message).toMatch(/too many calls.*retry in \d+ s/);
      now += 1001 * 1000; // one call's worth at 0.001 a second
      expect((await heartbeatOf(replicaB, host)).status).toBe(200);
      expect((await heartbeatOf(replicaA, host)).status).toBe(429);
    } finally {
      await other.db.$disconnect();
    }
  });
});
