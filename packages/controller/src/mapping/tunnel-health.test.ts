import { port } from "@nvi/openflow/test-support/fake-switch";
import { describe, expect, it } from "vitest";
import {
  B,
  G1,
  G3,
  G5,
  G7,
  gatewayClouds,
  H2,
  HOSTS,
  portStatus,
  sessionOf,
  TUNNEL,
  walk,
} from "../test-support/gateway-clouds.ts";
import type { PortDesc } from "@nvi/openflow";
import type { NviMapping } from "./mapping.ts";
import { Inventory } from "./model.ts";
import { cutGateways, cutLinks, type TunnelReport } from "./tunnel-health.ts";

/**
 * A gateway whose tunnel dies while its VEB and fabric port stay up (wireguard-go killed, its
 * internet link cut): only the gateways' link reports tell, and they move its pairs as a VEB going
 * would. World: test-support/gateway-clouds.ts (c1 = G1, G5; c2 = G3; org_b's G7 in c9).
 */
const inventory = new Inventory();
for (const h of HOSTS) inventory.upsertHost(h);
const link = (from: { datapathId: bigint }, peer: { datapathId: bigint }, up: boolean): TunnelReport => ({
  from: from.datapathId,
  peer: peer.datapathId,
  up,
});
/** Both ends of every c1 ↔ c2 link up, but for the links named down (from either end). */
const world = (down: TunnelReport[] = []): TunnelReport[] => [
  link(G1, G3, true),
  link(G3, G1, true),
  link(G5, G3, true),
  link(G3, G5, true),
  ...down,
];
const names = (cut: Set<bigint>) => HOSTS.filter((h) => cut.has(h.datapathId)).map((h) => h.name);
const settle = (ms = 10) => new Promise((r) => setTimeout(r, ms));
/** The TSC's word that a VEB is connected and in sync, with the ports its session read in the handshake. */
async function ready(mapping: NviMapping, dpid: bigint, ports: Map<number, PortDesc>) {
  const app = mapping.tscOptions().app;
  const sw = { datapathId: dpid, ports } as unknown as Parameters<NonNullable<typeof app.onSwitchReady>>[0];
  await app.onSwitchReady!(sw);
  await settle();
}

describe("which gateways a set of link reports cuts", () => {
  it("none while every link is up; the gateway whose every link is down, and not the peer it shares with others", () => {
    expect(names(cutGateways(inventory, world()))).toEqual([]);
    // G1's wireguard-go killed: both ends of G1 ↔ G3 see it; G3 still reaches G5
    expect(names(cutGateways(inventory, world([link(G1, G3, false), link(G3, G1, false)])))).toEqual(["h1"]);
  });

  it("when the ends disagree the link is down (used only while proven up by both)", () => {
    // G1 believes its link is up; G3 gets nothing back from it
    expect(names(cutGateways(inventory, world([link(G3, G1, false)])))).toEqual(["h1"]);
    expect(names(cutGateways(inventory, world([link(G1, G3, false)])))).toEqual(["h1"]);
  });

  it("ignores reports about links a host is not an end of a gateway link of its owner's clouds (for gateways and single links)", () => {
    const forged = [
      // another organization's gateway speaks of org_a's links, both ways
      link(G7, G1, false),
      link(G1, G7, false),
      // a host that is no gateway, and a gateway of the same cloud
      link(H2, G3, false),
      link(G5, G1, false),
      // a datapath nobody has
      { from: 99n, peer: G1.datapathId, up: false },
    ];
    expect(names(cutGateways(inventory, world(forged)))).toEqual([]);
    // alone (no link of G1 proven up by anyone) they still cut nothing
    expect(names(cutGateways(inventory, forged))).toEqual([]);
    // nor any one link (a partial cut of org_a's gateways by a stranger)
    expect(cutLinks(inventory, world(forged))).toEqual(new Map());
    expect(cutLinks(inventory, forged)).toEqual(new Map());
  });
});

describe("a gateway's tunnel reported cut, its VEB still connected", () => {
  it("moves its pairs to the cloud's other gateway at once, without asking the TSC; they return when it is up", async () => {
    const { mapping, switches } = await gatewayClouds();
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    expect(mapping.tunnelReports(world([link(before.via, G3, false), link(G3, before.via, false)]))).toEqual([
      before.via.datapathId,
    ]);
    await settle();
    const cut = await walk(switches);
    expect(cut.via.name).toBe(other.name);
    expect(cut.asked).toBe(false);
    expect(cut.delivered.map((o) => o.port)).toEqual([B.port]);
    // a report that changes nothing moves nothing
    const flows = switches.received.length;
    mapping.tunnelReports(world([link(before.via, G3, false)]));
    await settle();
    expect(switches.received.length).toBe(flows);
    mapping.tunnelReports(world());
    await settle();
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });

  it("a flapping link moves the pairs at most once per hold, and the last report wins", async () => {
    const { mapping, switches, moves } = await gatewayClouds(300);
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    const down = world([link(G3, before.via, false)]);
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      mapping.tunnelReports(i % 2 === 0 ? down : world());
      await settle(5);
    }
    mapping.tunnelReports(down);
    const holds = Math.ceil((Date.now() - started) / 300);
    await settle(400);
    // the first report moves at once, then at most one move per hold (without the damper: 41)
    expect(moves.length).toBeGreaterThanOrEqual(1);
    expect(moves.length).toBeLessThanOrEqual(1 + holds);
    expect((await walk(switches)).via.name).toBe(other.name);
  });

  it("another organization's gateway cannot move org_a's pairs by reporting links of org_a's gateways down", async () => {
    const { mapping, switches, moves } = await gatewayClouds();
    const before = await walk(switches);
    // the carrying gateway's own agent and its peer's report nothing yet (older agents): the only
    // word about its links would be the stranger's, which names it as its peer
    expect(mapping.tunnelReports([link(G7, before.via, false), link(before.via, G7, false)])).toEqual([]);
    for (const g of [G1, G5, G3]) mapping.tunnelReports([...world(), link(G7, g, false), link(g, G7, false)]);
    await settle();
    expect(moves).toEqual([]);
    const after = await walk(switches);
    expect(after.via.name).toBe(before.via.name);
    expect(after.asked).toBe(false);
  });
});

describe("port state read when a gateway VEB (re)connects", () => {
  it("a VEB that comes back with its tunnel port down carries nothing until a port status brings it up", async () => {
    const { mapping, switches } = await gatewayClouds();
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    const dead = switches.disconnect(before.via.datapathId);
    await mapping.gatewayChanged(before.via.datapathId, { gone: true });
    await switches.connect(before.via.datapathId, dead);
    // its port descriptions (OFPMP_PORT_DESC, read in the handshake): the fabric port up, the tunnel port's link down
    const ports = new Map([
      [1, port(1, "fab0")],
      [TUNNEL, { ...port(TUNNEL, "gw0"), state: 1 }],
    ]);
    await ready(mapping, before.via.datapathId, ports);
    const held = await walk(switches);
    expect(held.via.name).toBe(other.name);
    expect(held.delivered.map((o) => o.port)).toEqual([B.port]);
    // a tunnel port missing from the description counts as down too
    await ready(mapping, before.via.datapathId, new Map([[1, port(1, "fab0")]]));
    expect((await walk(switches)).via.name).toBe(other.name);
    // the port comes up: the pair returns
    const { sw, app } = sessionOf(mapping, before.via);
    app.onPortStatus!(sw, portStatus(TUNNEL, 0));
    await settle();
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });

  it("a VEB that comes back with both ports up carries its pairs again", async () => {
    const { mapping, switches } = await gatewayClouds();
    const before = await walk(switches);
    const dead = switches.disconnect(before.via.datapathId);
    await mapping.gatewayChanged(before.via.datapathId, { gone: true });
    expect((await walk(switches)).via.name).not.toBe(before.via.name);
    await switches.connect(before.via.datapathId, dead);
    await ready(
      mapping,
      before.via.datapathId,
      new Map([
        [1, port(1, "fab0")],
        [TUNNEL, port(TUNNEL, "gw0")],
      ]),
    );
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });
});
