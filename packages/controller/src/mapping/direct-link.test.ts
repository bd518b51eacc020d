import { describe, expect, it } from "vitest";
import { Port } from "@nvi/openflow";
import { cookieKind } from "../tables.ts";
import { asGateway, fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { arrive, tcpPacket } from "../test-support/frames.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { NviMapping } from "./mapping.ts";
import { FabricEndpoint, FabricHost, Inventory } from "./model.ts";

/**
 * Trusted direct links between clouds (README "Trusted direct links"), on in-memory VEBs: cloud c1 =
 * G1 (gateway) + H2, cloud c2 = G2 (gateway) + H4, each cloud its own segment behind its router. With
 * the link set, what G1 sends towards G2 leaves by G1's fabric NIC to its router (the interconnect
 * routes G2's block to G2), and the test carries it to G2's fabric NIC as arriving from G2's router.
 */
const TUNNEL = 9;
const G1 = asGateway({ ...fabricHost(1, 1), cloud: "c1" }, 1, TUNNEL);
const H2 = { ...fabricHost(2, 1), cloud: "c1" };
const G2 = asGateway({ ...fabricHost(3, 2), cloud: "c2" }, 3, TUNNEL);
const H4 = { ...fabricHost(4, 2), cloud: "c2" };
const A = tenantEndpoint("a", H2, 2, "10.0.0.2");
const B = tenantEndpoint("b", H4, 3, "10.0.0.3");

async function clouds(direct: boolean) {
  const inventory = new Inventory();
  for (const h of [G1, H2, G2, H4]) inventory.upsertHost(h);
  if (direct) inventory.setDirectLinks([["c2", "c1"]]);
  const mapping = new NviMapping({ inventory, clock: () => Date.UTC(2026, 11, 7) });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of [G1, H2, G2, H4]) await switches.connect(h.datapathId);
  for (const e of [A, B]) await mapping.plug(e);
  return { mapping, switches };
}

const outputOf = async (switches: MemorySwitches, h: FabricHost, p: Parameters<MemorySwitches["inject"]>[1]) =>
  (await switches.inject(h.datapathId, p)).outputs;

const mappingFlows = (switches: MemorySwitches, h: FabricHost) =>
  switches
    .table(h.datapathId)
    .flows()
    .filter((f) => cookieKind(f.cookie) === "MAPPING");

/** The ports a VEB's pair flows send to, sorted. */
const outputsOf = (switches: MemorySwitches, h: FabricHost): number[] =>
  mappingFlows(switches, h)
    .flatMap((f) => f.instructions.flatMap((i) => (i.type === "applyActions" ? i.actions : [])))
    .flatMap((a) => (a.type === "output" ? [a.port] : []))
    .sort((x, y) => x - y);

/** s's first packet to d hop by hop over the direct link: host → its gateway → the other gateway → host. */
async function walkDirect(switches: MemorySwitches, s: FabricEndpoint, d: FabricEndpoint) {
  const first = await switches.inject(s.datapathId, tcpPacket(s, d));
  const toGw = first.outputs[0] ?? switches.released.at(-1)?.trace.outputs[0];
  if (!toGw) throw new Error("first packet not released");
  const [gs, gd, hd] = s.datapathId === H2.datapathId ? [G1, G2, H4] : [G2, G1, H2];
  const [across] = await outputOf(switches, gs, arrive(toGw.packet, 1, toGw.packet.ethSrc!, gs.fabricMac));
  if (!across) throw new Error("the gateway dropped it");
  // the interconnect's routers: the packet reaches gd from gd's own router
  const [inCloud] = await outputOf(switches, gd, arrive(across.packet, 1, gd.gatewayMac, gd.fabricMac));
  if (!inCloud) throw new Error("the remote gateway dropped it");
  const delivered = await outputOf(switches, hd, arrive(inCloud.packet, 1, inCloud.packet.ethSrc!, hd.fabricMac));
  return { toGw, across, inCloud, delivered };
}

describe("a trusted direct link between two clouds", () => {
  it("hands A → B from gateway to gateway on the fabric: gateway leases only, to the router, no tunnel port; and back", async () => {
    const { mapping, switches } = await clouds(true);
    const hop = await walkDirect(switches, A, B);
    // G1 sends it back out of its fabric NIC, to its router: N_G1(A) → N_G2(B), DSCP cleared
    expect(hop.across.port).toBe(G1.fabricPort);
    expect(hop.across.packet).toMatchObject({ ethSrc: G1.fabricMac, ethDst: G1.gatewayMac, ipDscp: 0 });
    expect(hop.across.packet.ipv4Src!.startsWith("100.65.1.")).toBe(true);
    expect(hop.across.packet.ipv4Dst!.startsWith("100.65.3.")).toBe(true);
    // G2: N_G2(A) → F(B), to B's host (same segment)
    expect(hop.inCloud.packet).toMatchObject({ ethSrc: G2.fabricMac, ethDst: H4.fabricMac });
    expect(hop.inCloud.packet.ipv4Dst).toBe(mapping.fabricAddressOf("b"));
    expect(hop.delivered).toEqual([
      { port: B.port, packet: expect.objectContaining({ ethDst: B.mac, ipv4Src: A.ipv4, ipv4Dst: B.ipv4 }) },
    ]);
    const back = await walkDirect(switches, B, A);
    expect(back.delivered).toEqual([
      { port: A.port, packet: expect.objectContaining({ ipv4Src: B.ipv4, ipv4Dst: A.ipv4 }) },
    ]);
    expect(mapping.stats()).toMatchObject({ setups: 1, activePairs: 1, pairFlows: 8 });
    // no gateway flow of the pair takes from or sends to the tunnel port
    for (const g of [G1, G2]) {
      expect(mappingFlows(switches, g).some((f) => f.match.inPort === TUNNEL)).toBe(false);
      expect(outputsOf(switches, g)).toEqual([Port.IN_PORT, Port.IN_PORT]);
    }
  });

  it("G2 takes the pair only from its router on the fabric: the same packet from the tunnel, from another MAC or with another source lease drops", async () => {
    const { switches } = await clouds(true);
    const hop = await walkDirect(switches, A, B);
    const p = hop.across.packet;
    expect(await outputOf(switches, G2, arrive(p, TUNNEL, G2.gateway!.stackMac, G2.gateway!.tunnelMac))).toEqual([]);
    expect(await outputOf(switches, G2, arrive(p, 1, "02:66:66:66:66:66", G2.fabricMac))).toEqual([]);
    const forged = { ...p, ipv4Src: "100.65.1.77" };
    expect(await outputOf(switches, G2, arrive(forged, 1, G2.gatewayMac, G2.fabricMac))).toEqual([]);
    // and what a tunnel pair would have sent is not taken either way round: G1 holds no tunnel flow
    expect(switches.released.length).toBe(1);
  });

  it("setting the link moves a live pair to the fabric at once, and removing it moves it back to the tunnel, with no packet", async () => {
    const { mapping, switches } = await clouds(false);
    await switches.inject(H2.datapathId, tcpPacket(A, B));
    const g1Out = () => outputsOf(switches, G1);
    expect(g1Out()).toEqual([1, TUNNEL]);
    await mapping.setDirectLinks([["c1", "c2"]]);
    expect(g1Out()).toEqual([Port.IN_PORT, Port.IN_PORT]);
    expect((await walkDirect(switches, A, B)).delivered).toHaveLength(1);
    await mapping.setDirectLinks([]);
    expect(g1Out()).toEqual([1, TUNNEL]);
    expect(mapping.stats()).toMatchObject({ activePairs: 1 });
  });

  it("a setup under way when the link changes is taken back, not kept on the old path (its next packet sets it up on the new one)", async () => {
    const { mapping, switches } = await clouds(false);
    // the VEBs apply the flows at once but answer the barriers only when the test says
    let answer = (): void => undefined;
    const answered = new Promise<void>((r) => (answer = r));
    const send = switches.sendWithBarrier.bind(switches);
    switches.sendWithBarrier = (dpid, messages) => {
      const errors = send(dpid, messages);
      return answered.then(() => errors);
    };
    const first = switches.inject(H2.datapathId, tcpPacket(A, B));
    await new Promise((r) => setTimeout(r, 10));
    await mapping.setDirectLinks([["c1", "c2"]]);
    answer();
    await first;
    await new Promise((r) => setTimeout(r, 10));
    // the tunnel-shaped setup was not kept: nothing of the pair on G1, no pair recorded
    expect(outputsOf(switches, G1)).toEqual([]);
    expect(mapping.stats()).toMatchObject({ activePairs: 0 });
    expect((await walkDirect(switches, A, B)).delivered).toHaveLength(1);
    expect(outputsOf(switches, G1)).toEqual([Port.IN_PORT, Port.IN_PORT]);
  });
});
