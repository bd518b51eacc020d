import { beforeAll, describe, expect, it } from "vitest";
import { agentCall, agentFacts, joinStringFor, json, makeTenant, restAs, tenantKit } from "./test-support/fixtures.ts";

/**
 * The guards in the host facts at the edge: what an agent reports is shown to its organization
 * (REST `GET /hosts`); anything malformed or oversized is 400 and nothing of the heartbeat is kept.
 */
const kit = tenantKit("guards-alice");
const state = {} as { host: { hostId: string; credential: string }; bobToken: string };
const guards = {
  datapath: "netdev",
  ports: { guard: "nftables-ingress", plugged: 3, unguarded: 1, unguardedNames: ["nvi-v2"] },
  fabric: { state: "active", reason: null },
  checkedAt: "2026-12-05T20:00:00.000Z",
};

beforeAll(async () => {
  state.bobToken = (await makeTenant(kit.deps, "guards-bob")).token;
  const joinToken = await joinStringFor(kit.deps, kit.owner, { reusable: false });
  const res = await agentCall(kit.deps, "/agent/enroll", { joinToken, facts: agentFacts("guarded", { guards }) });
  expect(res.status).toBe(200);
  state.host = (await json(res)) as { hostId: string; credential: string };
});

describe("guards in the host facts at /api/v1", () => {
  it("are shown on the host to its organization only", async () => {
    const beat = await agentCall(
      kit.deps,
      "/agent/heartbeat",
      { facts: agentFacts("guarded", { guards }) },
      state.host.credential,
    );
    expect(beat.status).toBe(200);
    const mine = (await json(await restAs(kit.deps, kit.owner.token)("GET", "/hosts"))) as {
      id: string;
      facts: { guards: unknown };
    }[];
    expect(mine.find((h) => h.id === state.host.hostId)?.facts.guards).toEqual(guards);
    const theirs = (await json(await restAs(kit.deps, state.bobToken)("GET", "/hosts"))) as { id: string }[];
    expect(theirs.map((h) => h.id)).not.toContain(state.host.hostId);
  });

  it("malformed or oversized guards are 400 and nothing of the heartbeat is stored", async () => {
    const before = await kit.deps.db.host.findUniqueOrThrow({ where: { id: state.host.hostId } });
    for (const bad of [
      { ...guards, note: "<script>" },
      { ...guards, ports: { ...guards.ports, unguarded: 9 } },
      { ...guards, ports: { ...guards.ports, unguardedNames: ["x".repeat(16)] } },
      {
        ...guards,
        ports: { ...guards.ports, plugged: 99, unguarded: 99, unguardedNames: Array(17).fill("nvi-v1") },
      },
      { ...guards, fabric: { state: "missing", reason: "r".repeat(10_000) } },
      { ...guards, fabric: { state: "missing", reason: "bad\u0000byte" } },
      { ...guards, datapath: "system" },
      "guarded",
    ]) {
      const res = await agentCall(
        kit.deps,
        "/agent/heartbeat",
        { facts: agentFacts("guarded", { guards: bad }) },
        state.host.credential,
      );
      expect([JSON.stringify(bad).slice(0, 80), res.status]).toEqual([JSON.stringify(bad).slice(0, 80), 400]);
      expect((await json(res)).data.domainCode).toBe("VALIDATION_FAILED");
    }
    const after = await kit.deps.db.host.findUniqueOrThrow({ where: { id: state.host.hostId } });
    expect([after.facts, after.lastSeenAt]).toEqual([before.facts, before.lastSeenAt]);
  });
});
