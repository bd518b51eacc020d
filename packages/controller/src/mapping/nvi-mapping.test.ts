import { EthType } from "@nvi/openflow";
import { describe, expect, it } from "vitest";
import { deleteStrictFlowMod } from "../flow.ts";
import type { Packet } from "../flow-table.ts";
import { cookieKind } from "../tables.ts";
import { fabricHost } from "../test-support/fabric.ts";
import { arpRequest } from "../test-support/frames.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { VEB_MAC } from "./flows.ts";
import { NviMapping } from "./mapping.ts";
import { FabricEndpoint, Inventory, PairPolicy, sameVpcPolicy } from "./model.ts";

/**
 * The whole mapping, driven through its switch port against in-memory flow tables: packets enter
 * a VEB, first packets become packet-ins, the mapping answers with flow-mods and a release.
 */
const H1 = fabricHost(1);
const H2 = fabricHost(2);
const A: FabricEndpoint = {
  id: "a",
  tenantId: "org_a",
  vpcId: "vpc_a",
  datapathId: 1n,
  port: 2,
  mac: "0a:00:00:00:00:0a",
  ipv4: "10.0.0.2",
  gateway: "10.0.0.1",
};
const B: FabricEndpoint = {
  id: "b",
  tenantId: "org_a",
  vpcId: "vpc_a",
  datapathId: 2n,
  port: 3,
  mac: "0a:00:00:00:00:0b",
  ipv4: "10.0.0.3",
  gateway: "10.0.0.1",
};
const fromA: Packet = {
  inPort: A.port,
  ethSrc: A.mac,
  ethDst: VEB_MAC,
  ethType: EthType.IPV4,
  ipProto: 6,
  ipv4Src: A.ipv4,
  ipv4Dst: B.ipv4,
  tcpSrc: 40000,
  tcpDst: 80,
};
const arpFromA = (target: string): Packet => arpRequest(A, target);

async function fabric(
  o: {
    policy?: PairPolicy;
    inventory?: Inventory;
    tables?: MemorySwitches;
    packetInRate?: { perSecond: number; burst: number };
  } = {},
) {
  const inventory = o.inventory ?? new Inventory();
  for (const h of [H1, H2]) inventory.upsertHost(h);
  const mapping = new NviMapping({
    inventory,
    policy: o.policy,
    packetInRate: o.packetInRate,
    clock: () => Date.UTC(2026, 11, 5),
  });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const dpid of [1n, 2n]) await switches.connect(dpid, o.tables?.table(dpid));
  if (!o.inventory) for (const e of [A, B]) await mapping.plug(e);
  return { mapping, switches };
}

/** A's first packet to B, and the packet as it left H1 (the TSC released it once both VEBs held the pair). */
async function firstPacket(switches: MemorySwitches) {
  const trace = await switches.inject(1n, fromA);
  const wire = switches.released.at(-1)?.trace.outputs[0];
  return { trace, wire };
}

const mappingFlows = (switches: MemorySwitches, dpid: bigint) =>
  switches
    .table(dpid)
    .flows()
    .filter((f) => cookieKind(f.cookie) === "MAPPING");

describe("NviMapping through its switch port (in-memory VEBs)", () => {
  it("holds A's first packet until both VEBs hold the pair, then it leaves on the fabric port rewritten to fabric addresses; B receives tenant addresses", async () => {
    const { mapping, switches } = await fabric();
    const fA = mapping.fabricAddressOf("a");
    const fB = mapping.fabricAddressOf("b");
    expect([fA, fB]).toEqual(["100.65.1.1", "100.65.2.1"]);
    expect((await switches.inject(1n, arpFromA(B.ipv4))).outputs).toEqual([
      { port: A.port, packet: expect.objectContaining({ arpOp: 2, arpSha: VEB_MAC, arpSpa: B.ipv4, arpTpa: A.ipv4 }) },
    ]);

    const { trace, wire } = await firstPacket(switches);
    expect(trace.outputs).toEqual([]);
    expect(trace.toController).toHaveLength(1);
    expect(wire).toEqual({
      port: H1.fabricPort,
      packet: expect.objectContaining({
        ethSrc: H1.fabricMac,
        ethDst: H1.gatewayMac,
        ipv4Src: fA,
        ipv4Dst: fB,
        tcpSrc: 40000,
        tcpDst: 80,
      }),
    });

    // the next packet is the flow table's business alone
    const second = await switches.inject(1n, fromA);
    expect(second.outputs).toEqual([wire]);
    expect(second.toController).toEqual([]);
    expect(mapping.stats()).toMatchObject({ packetIns: 1, setups: 1, activePairs: 1, pairFlows: 4, denied: 0 });

    const arrived = await switches.inject(2n, {
      ...wire!.packet,
      inPort: H2.fabricPort,
      ethSrc: H2.gatewayMac,
      ethDst: H2.fabricMac,
    });
    expect(arrived.outputs).toEqual([
      {
        port: B.port,
        packet: expect.objectContaining({
          ethSrc: VEB_MAC,
          ethDst: B.mac,
          ipv4Src: A.ipv4,
          ipv4Dst: B.ipv4,
          tcpSrc: 40000,
          tcpDst: 80,
        }),
      },
    ]);
    const reply = await switches.inject(2n, {
      inPort: B.port,
      ethSrc: B.mac,
      ethDst: VEB_MAC,
      ethType: EthType.IPV4,
      ipProto: 6,
      ipv4Src: B.ipv4,
      ipv4Dst: A.ipv4,
      tcpSrc: 80,
      tcpDst: 40000,
    });
    expect(reply.outputs).toEqual([
      { port: H2.fabricPort, packet: expect.objectContaining({ ipv4Src: fB, ipv4Dst: fA, ethDst: H2.gatewayMac }) },
    ]);
    expect(reply.toController).toEqual([]);
  });

  it("after B is unplugged, A's packets no longer leave, B's old fabric address no longer enters, and A's VEB stops answering ARP for B", async () => {
    const { mapping, switches } = await fabric();
    const { wire } = await firstPacket(switches);
    await mapping.unplug("b");

    expect(mappingFlows(switches, 1n)).toEqual([]);
    expect(mappingFlows(switches, 2n)).toEqual([]);
    expect(mapping.fabricAddressOf("b")).toBeUndefined();
    const asked = await switches.inject(1n, fromA);
    expect(asked.outputs).toEqual([]);
    expect(switches.released).toHaveLength(1); // only the first packet, before the unplug
    expect(mapping.stats()).toMatchObject({ denied: 1, activePairs: 0 });
    // the short drop answers from now on, without asking the TSC
    expect(await switches.inject(1n, fromA)).toMatchObject({ outputs: [], toController: [] });
    expect(
      (
        await switches.inject(2n, {
          ...wire!.packet,
          inPort: H2.fabricPort,
          ethSrc: H2.gatewayMac,
          ethDst: H2.fabricMac,
        })
      ).outputs,
    ).toEqual([]);
    expect((await switches.inject(1n, arpFromA(B.ipv4))).outputs).toEqual([]);
  });

  it("a policy change that denies the pair revokes it on both VEBs and says when each confirmed", async () => {
    let allowed = true;
    const { mapping, switches } = await fabric({
      policy: (s, d) => (allowed ? sameVpcPolicy(s, d) : { allowed: false, reason: "rule removed" }),
    });
    await firstPacket(switches);
    allowed = false;
    const applied = await mapping.applyPolicy({ liftDenyVpcs: ["vpc_a"] });
    expect(applied.map((v) => [v.hostName, v.revokedPairs, v.error])).toEqual([
      ["h1", 1, null],
      ["h2", 1, null],
    ]);
    expect(mappingFlows(switches, 1n)).toEqual([]);
    expect(mappingFlows(switches, 2n)).toEqual([]);
    expect((await switches.inject(1n, fromA)).outputs).toEqual([]);
    expect(mapping.stats()).toMatchObject({ denied: 1, setups: 1 });
  });

  it("a VPC's new underlay DSCP re-marks its pairs: the old flows go, the next packet carries the new mark", async () => {
    let dscp = 0; // the VPC's mark, as the policy says it
    const { mapping, switches } = await fabric({ policy: (s, d) => ({ ...sameVpcPolicy(s, d), dscp }) });
    expect((await firstPacket(switches)).wire?.packet.ipDscp).toBe(0);
    dscp = 46;
    const applied = await mapping.applyPolicy({ liftDenyVpcs: [] });
    expect(applied.map((v) => [v.hostName, v.revokedPairs])).toEqual([
      ["h1", 1],
      ["h2", 1],
    ]);
    expect((await firstPacket(switches)).wire?.packet.ipDscp).toBe(46);
    expect((await switches.inject(1n, { ...fromA, ipDscp: 8 })).outputs.map((o) => o.packet.ipDscp)).toEqual([46]);
  });

  it("a restarted TSC re-adopts leases and the pair from the VEBs: traffic keeps flowing without asking", async () => {
    const before = await fabric();
    const { wire } = await firstPacket(before.switches);
    const inventory = new Inventory();
    for (const e of [A, B]) inventory.plug(e);
    const { mapping, switches } = await fabric({ inventory, tables: before.switches });
    expect([mapping.fabricAddressOf("a"), mapping.fabricAddressOf("b")]).toEqual([
      before.mapping.fabricAddressOf("a"),
      before.mapping.fabricAddressOf("b"),
    ]);
    expect(mapping.stats().activePairs).toBe(1);
    expect(mappingFlows(switches, 1n)).toHaveLength(2);
    expect((await switches.inject(1n, fromA)).outputs).toEqual([wire]);
    expect(mapping.stats().packetIns).toBe(0);
  });

  it("the read-back repairs drift through the same port: a flow the VEB lost is installed again, one policy no longer implies is deleted", async () => {
    let allowed = true;
    const { mapping, switches } = await fabric({
      policy: (s, d) => (allowed ? sameVpcPolicy(s, d) : { allowed: false, reason: "rule removed" }),
    });
    await firstPacket(switches);
    expect(await mapping.verify(1n)).toMatchObject({ pairFlows: 2, stale: 0, missing: 0 });
    const lost = mappingFlows(switches, 2n)[0]!;
    switches.table(2n).apply(deleteStrictFlowMod(lost));
    expect(await mapping.verify(2n)).toMatchObject({ pairFlows: 1, stale: 0, missing: 1 });
    // forgetting it instead left h1's half sending into a black hole no packet-in repairs
    expect(mappingFlows(switches, 2n)).toContainEqual(lost);
    await new Promise((r) => setTimeout(r, 0)); // the pair's setup again: its barriers answer
    expect(mapping.stats()).toMatchObject({ activePairs: 1, restoredPairs: 1 });
    expect(await mapping.verify(2n)).toMatchObject({ pairFlows: 2, stale: 0, missing: 0 });
    allowed = false; // changed behind the mapping's back: only the read-back can tell
    expect(await mapping.verify(1n)).toMatchObject({ pairFlows: 2, stale: 2, missing: 0 });
    expect(mappingFlows(switches, 1n)).toEqual([]);
    expect((await switches.inject(1n, fromA)).outputs).toEqual([]);
  });

  it("an instance writing to its own address never gets a pair with itself: a short drop answers instead", async () => {
    const { mapping, switches } = await fabric();
    const toSelf: Packet = { ...fromA, ipv4Dst: A.ipv4 };
    expect((await switches.inject(1n, toSelf)).toController).toHaveLength(1);
    expect(mapping.stats()).toMatchObject({ setups: 0, activePairs: 0, denied: 1 });
    expect(mappingFlows(switches, 1n)).toEqual([]);
    expect(switches.released).toEqual([]);
    // the drop answers the next one on the VEB, without asking the TSC
    expect(await switches.inject(1n, toSelf)).toMatchObject({ outputs: [], toController: [] });
  });

  it("a port asking about too many new conversations gets a short drop on its VEB; its next one never reaches the TSC, its pairs still flow", async () => {
    const { mapping, switches } = await fabric({ packetInRate: { perSecond: 1, burst: 3 } });
    const { wire } = await firstPacket(switches);
    const toNowhere = (n: number): Packet => ({ ...fromA, ipv4Dst: `10.0.0.${100 + n}` });
    for (const n of [1, 2, 3]) expect((await switches.inject(1n, toNowhere(n))).toController).toHaveLength(1);
    expect(mapping.stats()).toMatchObject({ packetIns: 4, setups: 1, denied: 2, rateLimited: 1 });
    const fourth = await switches.inject(1n, toNowhere(4));
    expect(fourth).toMatchObject({ outputs: [], toController: [] });
    expect(fourth.path.at(-1)).toMatchObject({ tableId: 2, priority: 50 });
    expect((await switches.inject(1n, fromA)).outputs).toEqual([wire]);
  });

  it("a port flooding brand-new conversations holds at most its share of short drops, then one drop flow; another tenant's first packet still gets through", async () => {
    const { mapping, switches } = await fabric({ packetInRate: { perSecond: 10_000, burst: 10_000 } });
    const { wire } = await firstPacket(switches);
    const C: FabricEndpoint = { ...A, id: "c", tenantId: "org_c", vpcId: "vpc_c", port: 4, mac: "0a:00:00:00:00:0c" };
    const D: FabricEndpoint = { ...B, id: "d", tenantId: "org_c", vpcId: "vpc_c", port: 5, mac: "0a:00:00:00:00:0d" };
    for (const e of [C, D]) await mapping.plug(e);
    const dropsOfA = () =>
      switches
        .table(1n)
        .flows()
        .filter((f) => cookieKind(f.cookie) === "DENY" && f.match.inPort === A.port);
    let most = 0;
    for (let n = 0; n < 300; n++) {
      await switches.inject(1n, { ...fromA, ipv4Dst: `10.9.${n >> 8}.${n & 0xff}` });
      most = Math.max(most, dropsOfA().length);
    }
    expect(most).toBeLessThanOrEqual(32);
    expect(dropsOfA()).toEqual([expect.objectContaining({ match: { inPort: A.port }, priority: 50 })]);
    expect(mapping.stats()).toMatchObject({ denied: 33, blocks: 1 });
    expect((await switches.inject(1n, { ...fromA, ipv4Dst: "10.9.9.9" })).toController).toEqual([]);
    expect((await switches.inject(1n, fromA)).outputs).toEqual([wire]); // A's pair still flows
    const fromC: Packet = { ...fromA, inPort: C.port, ethSrc: C.mac };
    expect((await switches.inject(1n, fromC)).toController).toHaveLength(1);
    expect(switches.released.at(-1)?.trace.outputs[0]?.packet).toMatchObject({
      ipv4Dst: mapping.fabricAddressOf("d"),
    });
  });
});
