import { describe, expect, it } from "vitest";
import {
  A,
  B,
  G1,
  G5,
  gatewayClouds as clouds,
  H4,
  HOSTS,
  portStatus as status,
  sessionOf as portStatusOf,
  walk,
} from "../test-support/gateway-clouds.ts";
import { gatewayFor } from "./intercloud.ts";
import { Inventory } from "./model.ts";

/** Several gateways per cloud (README "Several gateways per cloud"): the world of test-support/gateway-clouds.ts. */
describe("several gateways per cloud", () => {
  it("spreads pairs over the cloud's gateways; with one down only its pairs move, and they come back with it", () => {
    const inventory = new Inventory();
    for (const h of HOSTS) inventory.upsertHost(h);
    const keys = Array.from({ length: 64 }, (_, i) => `a${i}|b${i}`);
    const all = (up: (d: bigint) => boolean) => keys.map((k) => gatewayFor(inventory, "c1", k, up)?.name);
    const both = all(() => true);
    expect(new Set(both)).toEqual(new Set(["h1", "h5"]));
    expect(both.filter((n) => n === "h1").length).toBeGreaterThan(16);
    const g1Down = all((d) => d !== G1.datapathId);
    expect(new Set(g1Down)).toEqual(new Set(["h5"]));
    // the pairs on G5 stayed on G5 (nobody else was disturbed)
    keys.forEach((_, i) => {
      if (both[i] === "h5") expect(g1Down[i]).toBe("h5");
    });
    expect(all(() => true)).toEqual(both);
    // none up (a TSC that just started): still a choice, the setup then waits for a VEB
    expect(all(() => false)).toEqual(both);
  });

  it("a gateway's VEB goes: its pairs move to the other gateway at once, and their next packet passes without asking the TSC", async () => {
    const { mapping, switches } = await clouds();
    const before = await walk(switches);
    expect(before.asked).toBe(true);
    expect(before.delivered.map((o) => o.port)).toEqual([B.port]);
    const other = before.via === G1 ? G5 : G1;
    const dead = switches.disconnect(before.via.datapathId);
    await mapping.gatewayChanged(before.via.datapathId);
    const after = await walk(switches);
    expect(after.via.name).toBe(other.name);
    expect(after.asked).toBe(false);
    // the instance's own addresses and ports are what B gets, as before: its connections carry on
    expect(after.delivered).toEqual([
      {
        port: B.port,
        packet: expect.objectContaining({ ipv4Src: A.ipv4, ipv4Dst: B.ipv4, tcpSrc: 40000, tcpDst: 80 }),
      },
    ]);
    expect(mapping.stats()).toMatchObject({ setups: 2, activePairs: 1 });
    // the gateway comes back: the pair returns to it, nothing black-holed on the way
    await switches.connect(before.via.datapathId, dead);
    await mapping.gatewayChanged(before.via.datapathId);
    const back = await walk(switches);
    expect(back.via.name).toBe(before.via.name);
    expect(back.asked).toBe(false);
    expect(back.delivered.map((o) => o.port)).toEqual([B.port]);
  });

  it("a gateway whose fabric link goes down (its VEB still connected) loses its pairs to the other; they return with the link", async () => {
    const { mapping, switches } = await clouds();
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    const { sw, app } = portStatusOf(mapping, before.via);
    // an instance port of the gateway going down is no reason to move anything
    app.onPortStatus!(sw, status(7, 1));
    await new Promise((r) => setTimeout(r, 10));
    expect((await walk(switches)).via.name).toBe(before.via.name);
    app.onPortStatus!(sw, status(before.via.fabricPort, 1));
    await new Promise((r) => setTimeout(r, 10));
    const cut = await walk(switches);
    expect(cut.via.name).toBe(other.name);
    expect(cut.asked).toBe(false);
    expect(cut.delivered.map((o) => o.port)).toEqual([B.port]);
    app.onPortStatus!(sw, status(before.via.fabricPort, 0));
    await new Promise((r) => setTimeout(r, 10));
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });

  it("a gateway VEB flapping its fabric port moves its pairs at most once per hold, and the last report wins", async () => {
    // hostile: a tenant's gateway VEB (it is theirs, root on the host) floods port status so the
    // shared TSC revokes and sets up pairs without end; the hold folds the flood into one move
    const { mapping, switches, moves } = await clouds(300);
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    const { sw, app } = portStatusOf(mapping, before.via);
    // 40 flaps, 5 ms apart (each long enough for a move to finish), then the link stays down
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      app.onPortStatus!(sw, status(before.via.fabricPort, i % 2 === 0 ? 1 : 0));
      await new Promise((r) => setTimeout(r, 5));
    }
    app.onPortStatus!(sw, status(before.via.fabricPort, 1));
    const holds = Math.ceil((Date.now() - started) / 300);
    await new Promise((r) => setTimeout(r, 400)); // the last hold ends: its move is made from the state now (down)
    // one move at the first report, at most one per hold after it (the old code: 41)
    expect(moves.length).toBeGreaterThanOrEqual(1);
    expect(moves.length).toBeLessThanOrEqual(1 + holds);
    const cut = await walk(switches);
    expect(cut.via.name).toBe(other.name);
    expect(cut.delivered.map((o) => o.port)).toEqual([B.port]);
    // once quiet for a hold (the folded move opened one), its next change moves at once again
    await new Promise((r) => setTimeout(r, 350));
    app.onPortStatus!(sw, status(before.via.fabricPort, 0));
    await new Promise((r) => setTimeout(r, 20));
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });

  it("a VEB that is not a gateway going changes no pair", async () => {
    const { mapping, switches } = await clouds();
    await walk(switches);
    const flows = switches.received.length;
    await mapping.gatewayChanged(H4.datapathId);
    expect(switches.received.length).toBe(flows);
    expect(mapping.stats()).toMatchObject({ setups: 1 });
  });
});
