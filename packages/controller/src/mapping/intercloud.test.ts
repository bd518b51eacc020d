import { describe, expect, it } from "vitest";
import { cookieKind } from "../tables.ts";
import { asGateway, fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { arrive, tcpPacket } from "../test-support/frames.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { NviMapping } from "./mapping.ts";
import { FabricEndpoint, FabricHost, Inventory } from "./model.ts";

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

/** `restartOn`: a fresh TSC (its inventory knows the endpoints already) over these VEBs' flow tables, connecting in `hosts` order. */
async function clouds(hosts: FabricHost[] = [G1, H2, G2, H4], endpoints = [A, B, X, Y], restartOn?: MemorySwitches) {
  const inventory = new Inventory();
  for (const h of hosts) inventory.upsertHost(h);
  if (restartOn) for (const e of endpoints) inventory.plug(e);
  const mapping = new NviMapping({ inventory, clock: () => Date.UTC(2026, 11, 5) });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of hosts) await switches.connect(h.datapathId, restartOn?.table(h.datapathId));
  if (!restartOn) for (const e of endpoints) await mapping.plug(e);
  return { mapping, switches };
}

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
    await mapping.unplug("b");
    for (const h of [G1, H2, G2, H4]) {
      const left = switches
        .table(h.datapathId)
        .flows()
        .filter((f) => cookieKind(f.cookie) === "MAPPING");
      expect(left, h.name).toEqual([]);
    }
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

  it("after a TSC restart a pair across clouds is set up anew at its next packet, whatever order the VEBs reconnect in", async () => {
    for (const order of [
      [H2, H4, G1, G2],
      [G1, G2, H2, H4],
    ]) {
      const before = await clouds();
      await walk(before.switches, A, B);
      const after = await clouds(order, [A, B, X, Y], before.switches);
      // no VEB keeps the pair's way out (its gateway leases are not read back): nothing black-holes.
      // (An endpoint's ingress flow may stay while its gateway has not reconnected: it only matches
      // what the pair's next setup installs over it.)
      for (const h of order)
        expect(
          after.switches
            .table(h.datapathId)
            .flows()
            .filter((f) => cookieKind(f.cookie) === "MAPPING" && f.match.inPort !== 1),
          h.name,
        ).toEqual([]);
      const hop = await walk(after.switches, A, B);
      expect(hop.delivered.map((o) => o.port)).toEqual([B.port]);
      expect((await walk(after.switches, B, A)).delivered.map((o) => o.port)).toEqual([A.port]);
      // the other tenant on the same addresses still reaches only its own
      expect((await walk(after.switches, X, Y)).delivered.map((o) => o.port)).toEqual([Y.port]);
    }
  });
});
