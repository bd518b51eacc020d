import { guardProblem, type HostGuards } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { hostFacts, person, tenantWithHost, type EnrolledHost } from "../test-support/kit.ts";
import { listHosts, recordHeartbeat } from "./hosts.ts";

/**
 * The guards an agent reports (instance ports' ingress chains, the fabric NIC's egress chain) are kept
 * with the host's facts and shown to its organization only; a later heartbeat replaces them.
 */
let alice: { ctx: Ctx } & EnrolledHost;
let bob: Ctx;
const held: HostGuards = {
  datapath: "netdev",
  ports: { guard: "nftables-ingress", plugged: 2, unguarded: 0, unguardedNames: [] },
  fabric: { state: "active", reason: null },
  checkedAt: "2026-12-05T20:00:00.000Z",
};

beforeAll(async () => {
  alice = await tenantWithHost("guards-a", { hostname: "g1" });
  bob = await person("guards-b");
});
afterAll(async () => {
  await alice.ctx.db.$disconnect();
});

describe("the guards in the host facts", () => {
  it("a heartbeat's guards are stored and shown on the host; a missing guard is what the console flags", async () => {
    await recordHeartbeat(alice.ctx, alice.host, hostFacts("g1", { guards: held }));
    const [shown] = await listHosts(alice.ctx, { cloudId: alice.cloudId });
    expect(shown?.facts.guards).toEqual(held);
    expect(guardProblem(shown?.facts.guards)).toBeNull();

    const gone: HostGuards = {
      ...held,
      ports: { ...held.ports, unguarded: 1, unguardedNames: ["nvi-v1"] },
      fabric: { state: "missing", reason: "no interface with ofport 1 on veb0" },
    };
    await recordHeartbeat(alice.ctx, alice.host, hostFacts("g1", { guards: gone }));
    const [now] = await listHosts(alice.ctx, { cloudId: alice.cloudId });
    expect(now?.facts.guards).toEqual(gone);
    expect(guardProblem(now?.facts.guards)).toMatch(/1 of 2 instance ports .*nvi-v1.*egress guard is missing/);
    const row = await alice.ctx.db.host.findUniqueOrThrow({ where: { id: alice.hostId } });
    expect((row.facts as { guards?: unknown }).guards).toEqual(gone);

    // an agent that stops reporting them (an older one after a downgrade) shows none
    await recordHeartbeat(alice.ctx, alice.host, hostFacts("g1"));
    expect((await listHosts(alice.ctx, { cloudId: alice.cloudId }))[0]?.facts.guards).toBeNull();
    // another organization sees nothing of them
    expect(await listHosts(bob, { cloudId: alice.cloudId })).toEqual([]);
  });
});
