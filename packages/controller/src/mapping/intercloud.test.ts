import { describe, expect, it } from "vitest";
import { flowMod } from "@nvi/openflow";
import { COOKIE_OWNER_MASK, cookieKind, cookieTag, taggedCookie } from "../tables.ts";
import { asGateway, fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { arrive, tcpPacket } from "../test-support/frames.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { pairTag } from "./flows.ts";
import { inBlock } from "./leases.ts";
import { NviMapping } from "./mapping.ts";
import { FabricEndpoint, FabricHost, Inventory, type PairPolicy, sameVpcPolicy } from "./model.ts";

/**
 * A pair across clouds on in-memory VEBs (README "Across clouds"): cloud c1 = h1 (gateway) + h2,
 * cloud c2 = h3 (gateway) + h4; the tunnel between the gateways' stacks is played by the test
 * (what leaves G1's tunnel port is injected at G2's).
 */
const TUNNEL = 9;
const gateway = (h: FabricHost, n: number): FabricHost => asGateway(h, n, TUNNEL);
const G1 = gateway({ ...fabricHost(1, 1), cloud: "c1" }, 1);
const H2 = { ...fabricHost(2, 1), cloud: "c1" };
const G2 = gateway({ ...fabricHost(3, 2), cloud: "c2" }, 3);
const H4 = { ...fabricHost(4, 2), cloud: "c2" };

const endpoint = tenantEndpoint;
const A = endpoint("a", H2, 2, "10.0.0.2");
const B = endpoint("b", H4, 3, "10.0.0.3");
// another tenant with the same addresses on the same hosts
const X = endpoint("x", H2, 4, "10.0.0.2", "x");
const Y = endpoint("y", H4, 5, "10.0.0.3", "x");

const tcp = tcpPacket;

/**
 * `restartOn`: a fresh TSC (its inventory knows the endpoints already) over these VEBs' flow tables,
 * connecting in `hosts` order; `known`: hosts in its inventory that never reconnect.
 */
async function clouds(
  hosts: FabricHost[] = [G1, H2, G2, H4],
  endpoints = [A, B, X, Y],
  restartOn?: MemorySwitches,
  o: { clock?: () => number; known?: FabricHost[]; settleMs?: number; policy?: PairPolicy } = {},
) {
  const inventory = new Inventory();
  for (const h of [...hosts, ...(o.known ?? [])]) inventory.upsertHost(h);
  if (restartOn) for (const e of endpoints) inventory.plug(e);
  const mapping = new NviMapping({
    inventory,
    clock: o.clock ?? (() => Date.UTC(2026, 11, 5)),
    ...(o.settleMs === undefined ? {} : { settleMs: o.settleMs }),
    ...(o.policy ? { policy: o.policy } : {}),
  });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of hosts) await switches.connect(h.datapathId, restartOn?.table(h.datapathId));
  if (!restartOn) for (const e of endpoints) await mapping.plug(e);
  return { mapping, switches };
}

/** The MAPPING flows a VEB holds (of one pair, by its tag), as read back. */
const pairFlowsOn = (switches: MemorySwitches, h: FabricHost, tag?: number) =>
  switches
    .table(h.datapathId)
    .flows()
    .filter((f) => cookieKind(f.cookie) === "MAPPING" && (tag === undefined || cookieTag(f.cookie) === tag));

/** The GATEWAY_LEASE flows gateway `g` holds for endpoint `e`. */
const leaseFlowsFor = (switches: MemorySwitches, g: FabricHost, e: FabricEndpoint) =>
  switches
    .table(g.datapathId)
    .flows()
    .filter(
      (f) =>
        cookieKind(f.cookie) === "GATEWAY_LEASE" && f.match.metadata === e.datapathId && cookieTag(f.cookie) === e.port,
    );

/** Carries s's first packet to d hop by hop; returns every hop's output. */
async function walk(switches: MemorySwitches, s: FabricEndpoint, d: FabricEndpoint) {
  const first = await switches.inject(s.datapathId, tcp(s, d));
  // a first packet is released by the TSC once the pair is installed; a later one leaves at once
  const toGw = first.outputs[0] ?? switches.released.at(-1)?.trace.outputs[0];
  if (!toGw) throw new Error("first packet not released");
  const [gs, gd, hd] = s.datapathId === H2.datapathId ? [G1, G2, H4] : [G2, G1, H2];
  const intoTunnel = (await switches.inject(gs.datapathId, arrive(toGw.packet, 1, toGw.packet.ethSrc!, gs.fabricMac)))
    .outputs[0];
  if (!intoTunnel) throw new Error("the gateway dropped it");
  const fromTunnel = (
    await switches.inject(gd.datapathId, arrive(intoTunnel.packet, TUNNEL, gd.gateway!.stackMac, gd.gateway!.tunnelMac))
  ).outputs[0];
  if (!fromTunnel) throw new Error("the remote gateway dropped it");
  const delivered = (
    await switches.inject(hd.datapathId, arrive(fromTunnel.packet, 1, fromTunnel.packet.ethSrc!, hd.fabricMac))
  ).outputs;
  return { toGw, intoTunnel, fromTunnel, delivered };
}

describe("pairs across clouds through gateways", () => {
  it("carries A → B host → G1 → tunnel → G2 → host: tenant addresses only at the ends, fabric addresses only inside each cloud, gateway leases in the tunnel", async () => {
    const { mapping, switches } = await clouds();
    const fA = mapping.fabricAddressOf("a");
    const fB = mapping.fabricAddressOf("b");
    const hop = await walk(switches, A, B);
    // cloud 1: F(A) → N_G1(B), next hop G1 itself (same segment)
    expect(hop.toGw.port).toBe(1);
    expect(hop.toGw.packet).toMatchObject({ ethSrc: H2.fabricMac, ethDst: G1.fabricMac, ipv4Src: fA });
    const bAtG1 = hop.toGw.packet.ipv4Dst!;
    expect(bAtG1.startsWith("100.65.1.")).toBe(true);
    // the tunnel: N_G1(A) (G1's block) → N_G2(B) (G2's block), to G1's stack
    expect(hop.intoTunnel.port).toBe(TUNNEL);
    expect(hop.intoTunnel.packet).toMatchObject({ ethDst: G1.gateway!.stackMac, ipDscp: 0 });
    expect(hop.intoTunnel.packet.ipv4Src!.startsWith("100.65.1.")).toBe(true);
    expect(hop.intoTunnel.packet.ipv4Dst!.startsWith("100.65.3.")).toBe(true);
    // cloud 2: N_G2(A) → F(B), next hop B's host
    expect(hop.fromTunnel.port).toBe(1);
    expect(hop.fromTunnel.packet).toMatchObject({ ethSrc: G2.fabricMac, ethDst: H4.fabricMac, ipv4Dst: fB });
    expect(hop.fromTunnel.packet.ipv4Src!.startsWith("100.65.3.")).toBe(true);
    expect(hop.delivered).toEqual([
      {
        port: B.port,
        packet: expect.objectContaining({ ethDst: B.mac, ipv4Src: A.ipv4, ipv4Dst: B.ipv4, tcpSrc: 40000, tcpDst: 80 }),
      },
    ]);
    // and back, on the flows the first packet installed (no second setup)
    const back = await walk(switches, B, A);
    expect(back.delivered).toEqual([
      { port: A.port, packet: expect.objectContaining({ ipv4Src: B.ipv4, ipv4Dst: A.ipv4 }) },
    ]);
    expect(mapping.stats()).toMatchObject({ setups: 1, activePairs: 1, pairFlows: 8 });
  });

  it("keeps another tenant with the same addresses apart: its own gateway leases, and neither pair's tunnel packets reach the other", async () => {
    const { switches } = await clouds();
    const ab = await walk(switches, A, B);
    const xy = await walk(switches, X, Y);
    expect(xy.delivered).toEqual([{ port: Y.port, packet: expect.objectContaining({ ipv4Src: X.ipv4 }) }]);
    expect(xy.intoTunnel.packet.ipv4Src).not.toBe(ab.intoTunnel.packet.ipv4Src);
    expect(xy.intoTunnel.packet.ipv4Dst).not.toBe(ab.intoTunnel.packet.ipv4Dst);
  });

  it("forwards only installed pairs: a tunnel packet with another source lease, or a spoofed one from the cloud, drops at the gateway", async () => {
    const { switches } = await clouds();
    const hop = await walk(switches, A, B);
    const forged = arrive(
      { ...hop.intoTunnel.packet, ipv4Src: "100.65.1.200" },
      TUNNEL,
      G2.gateway!.stackMac,
      G2.gateway!.tunnelMac,
    );
    expect((await switches.inject(G2.datapathId, forged)).outputs).toEqual([]);
    const spoofed = arrive({ ...hop.toGw.packet, ipv4Src: "100.65.2.200" }, 1, H2.fabricMac, G1.fabricMac);
    expect((await switches.inject(G1.datapathId, spoofed)).outputs).toEqual([]);
    const gatewayFlows = switches
      .table(G2.datapathId)
      .flows()
      .filter((f) => cookieKind(f.cookie) === "MAPPING");
    expect(gatewayFlows).toHaveLength(2);
  });

  it("revokes the pair on all four VEBs when B is unplugged", async () => {
    const { mapping, switches } = await clouds();
    await walk(switches, A, B);
    expect(leaseFlowsFor(switches, G1, B)).toHaveLength(1);
    await mapping.unplug("b");
    for (const h of [G1, H2, G2, H4]) {
      const left = switches
        .table(h.datapathId)
        .flows()
        .filter((f) => cookieKind(f.cookie) === "MAPPING");
      expect(left, h.name).toEqual([]);
    }
    // its gateway leases are freed and no longer written down on the gateways
    for (const g of [G1, G2]) expect(leaseFlowsFor(switches, g, B), g.name).toEqual([]);
    expect(leaseFlowsFor(switches, G1, A)).toHaveLength(1);
  });

  it("denies, with the reason, a pair across clouds when one cloud has no gateway", async () => {
    const { mapping, switches } = await clouds([G1, H2, { ...G2, gateway: undefined }, H4], [A, B]);
    const t = await switches.inject(H2.datapathId, tcp(A, B));
    expect(t.toController).toHaveLength(1);
    expect(switches.released).toEqual([]);
    expect(mapping.stats()).toMatchObject({ setups: 0, denied: 1 });
  });

  it("keeps today's routed path for hosts that declare no cloud", async () => {
    const plain = [fabricHost(1, 1), fabricHost(2, 1), fabricHost(3, 2), fabricHost(4, 2)];
    const { mapping, switches } = await clouds(plain, [A, B]);
    await switches.inject(H2.datapathId, tcp(A, B));
    expect(switches.released.at(-1)?.trace.outputs[0]?.packet).toMatchObject({
      ipv4Src: mapping.fabricAddressOf("a"),
      ipv4Dst: mapping.fabricAddressOf("b"),
      ethDst: plain[1]!.gatewayMac,
    });
  });

  it("after a TSC restart a pair across clouds is re-adopted on all four VEBs, whatever order they reconnect in", async () => {
    for (const order of [
      [H2, H4, G1, G2],
      [G1, G2, H2, H4],
      [H2, G1, H4, G2],
    ]) {
      const before = await clouds();
      await walk(before.switches, A, B);
      const held = Object.fromEntries(order.map((h) => [h.name, pairFlowsOn(before.switches, h)]));
      const after = await clouds(order, [A, B, X, Y], before.switches);
      const names = order.map((h) => h.name).join(", ");
      // every VEB keeps the pair's flows as they were (its gateway leases read back from the gateways)
      for (const h of order) expect(pairFlowsOn(after.switches, h), `${h.name} (${names})`).toEqual(held[h.name]);
      expect(after.mapping.stats(), names).toMatchObject({ activePairs: 1, pairFlows: 8 });
      // the next packets pass on those flows: no packet-in, no setup
      expect((await walk(after.switches, A, B)).delivered.map((o) => o.port)).toEqual([B.port]);
      expect((await walk(after.switches, B, A)).delivered.map((o) => o.port)).toEqual([A.port]);
      expect(after.mapping.stats(), names).toMatchObject({ packetIns: 0, setups: 0 });
      // the other tenant on the same addresses still reaches only its own (set up now, new leases)
      expect((await walk(after.switches, X, Y)).delivered.map((o) => o.port)).toEqual([Y.port]);
      // re-adopted means revocable: unplugging B deletes the pair everywhere
      await after.mapping.unplug("b");
      for (const h of order) expect(pairFlowsOn(after.switches, h, pairTag("a", "b")), h.name).toEqual([]);
    }
  });

  it("after a TSC restart, flows through a gateway that does not come back wait while the TSC settles, then go", async () => {
    const before = await clouds();
    await walk(before.switches, A, B);
    let now = Date.UTC(2026, 11, 5);
    // G1 never reconnects
    const after = await clouds([H2, H4, G2], [A, B], before.switches, { clock: () => now, known: [G1] });
    for (const h of [H2, H4, G2]) expect(pairFlowsOn(after.switches, h).length, h.name).toBeGreaterThan(0);
    now += 15_001;
    after.mapping.recovery.judgePending();
    // what is left matches only packets G1 would send (addresses of its block): nothing carries A's or B's traffic
    for (const h of [H2, H4, G2])
      for (const f of pairFlowsOn(after.switches, h))
        expect(inBlock(G1.instanceBlock, f.match.ipv4Src!), h.name).toBe(true);
    // and A's next packet is judged again (no gateway of its cloud is up now: nothing is set up)
    await after.switches.inject(H2.datapathId, tcp(A, B));
    expect(after.mapping.stats()).toMatchObject({ packetIns: 1, setups: 0, activePairs: 0 });
  });

  it("the first restart after GATEWAY_LEASE flows existed (none on the gateways): nothing half-adopted, the pair is set up anew", async () => {
    const before = await clouds();
    await walk(before.switches, A, B);
    const kindOnly = { cookieMask: COOKIE_OWNER_MASK | (0xffn << 40n), match: {} };
    for (const g of [G1, G2])
      before.switches
        .table(g.datapathId)
        .apply(flowMod({ command: "delete", tableId: 0, cookie: taggedCookie("GATEWAY_LEASE", 0), ...kindOnly }));
    const after = await clouds([H2, H4, G1, G2], [A, B, X, Y], before.switches);
    // judging hands out no lease in passing: every VEB's flows of the pair are stale, none adopted
    for (const h of [H2, H4, G1, G2]) expect(pairFlowsOn(after.switches, h, pairTag("a", "b")), h.name).toEqual([]);
    expect(after.mapping.stats()).toMatchObject({ activePairs: 0 });
    expect((await walk(after.switches, A, B)).delivered.map((o) => o.port)).toEqual([B.port]);
    expect(after.mapping.stats()).toMatchObject({ setups: 1, activePairs: 1 });
  });

  it("flows kept unjudged while a gateway is away go when the policy denies their pair, when it is unplugged, and when settling ends", async () => {
    const before = await clouds();
    await walk(before.switches, A, B);
    const fromA = (s: MemorySwitches) => pairFlowsOn(s, H2).filter((f) => f.match.inPort === A.port);
    // G1 never reconnects: A's way out is kept while the TSC settles
    let allowed = true;
    const policy: PairPolicy = (s, d) => (allowed ? sameVpcPolicy(s, d) : { allowed: false, reason: "unplugged" });
    const held = await clouds([H2, H4, G2], [A, B], before.switches, { known: [G1], policy });
    expect(fromA(held.switches)).toHaveLength(1);
    allowed = false;
    await held.mapping.applyPolicy();
    expect(fromA(held.switches)).toEqual([]);
    // unplugged
    const more = await clouds();
    await walk(more.switches, A, B);
    const gone = await clouds([H2, H4, G2], [A, B], more.switches, { known: [G1] });
    expect(fromA(gone.switches)).toHaveLength(1);
    await gone.mapping.unplug("b");
    expect(fromA(gone.switches)).toEqual([]);
    // the same again, the settling left to its timer (50 ms)
    const again = await clouds();
    await walk(again.switches, A, B);
    const timed = await clouds([H2, H4, G2], [A, B], again.switches, { known: [G1], clock: Date.now, settleMs: 50 });
    expect(fromA(timed.switches)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(fromA(timed.switches)).toEqual([]);
  });

  it("a flow on a port now held by another tenant's instance with the same address is deleted at once, not kept unjudged", async () => {
    const before = await clouds();
    await walk(before.switches, A, B);
    // while the TSC was away A went and X2 (tenant x, the same address) took its port; only H2 is back yet
    const X2 = { ...X, id: "x2", port: A.port };
    const after = await clouds([H2], [X2, B, Y], before.switches, { known: [G1, G2, H4] });
    expect(pairFlowsOn(after.switches, H2).filter((f) => f.match.inPort === A.port)).toEqual([]);
  });
});
