import { EthType, Port } from "@nvi/openflow";
import { describe, expect, it } from "vitest";
import { FlowTable, Packet } from "../flow-table.ts";
import { STAGES } from "../tables.ts";
import { hostPipeline, LeasedEndpoint, pairFlows, sameSegment, VEB_MAC } from "./flows.ts";
import { FabricLeases, inBlock } from "./leases.ts";
import { FabricHost, Inventory, sameVpcPolicy } from "./model.ts";
import { parseIpv4, withL4Checksum } from "./packet.ts";
import { PortGuard } from "./rate-limit.ts";
import { fabricHost, leasedEndpoint } from "../test-support/fabric.ts";

const H1 = fabricHost(1, 1);
const H2 = fabricHost(2, 1);
const H3 = fabricHost(3, 2);
const ep = leasedEndpoint;
const ip = (o: Partial<Packet>): Packet => ({ ethType: EthType.IPV4, ipProto: 6, ...o });

function switchFor(h: FabricHost, local: LeasedEndpoint[], peers: LeasedEndpoint[]): FlowTable {
  const t = new FlowTable();
  t.load(hostPipeline(h, local, (e) => [e.gateway, ...peers.filter((p) => p.vpcId === e.vpcId).map((p) => p.ipv4)]));
  return t;
}

describe("host pipeline", () => {
  const a = ep("a", H1, 2, "10.0.0.2", "100.65.1.1");
  const b = ep("b", H1, 3, "10.0.0.2", "100.65.1.2", "vpc_b", "org_b"); // same address, other tenant
  const sw = switchFor(H1, [a, b], [a, b, ep("c", H2, 2, "10.0.0.3", "100.65.2.1")]);

  it("answers ARP for the gateway and in-VPC peers with the VEB's MAC, nothing else", () => {
    const ask = (port: number, mac: string, spa: string, tpa: string) =>
      sw.process({
        inPort: port,
        ethSrc: mac,
        ethDst: "ff:ff:ff:ff:ff:ff",
        ethType: EthType.ARP,
        arpOp: 1,
        arpSpa: spa,
        arpSha: mac,
        arpTpa: tpa,
      });
    const gw = ask(2, a.mac, a.ipv4, "10.0.0.1");
    expect(gw.outputs).toEqual([
      {
        port: 2,
        packet: expect.objectContaining({
          arpOp: 2,
          arpSha: VEB_MAC,
          arpSpa: "10.0.0.1",
          ethDst: a.mac,
          arpTpa: a.ipv4,
        }),
      },
    ]);
    expect(ask(2, a.mac, a.ipv4, "10.0.0.3").outputs).toHaveLength(1); // c: same VPC, another host
    expect(ask(3, b.mac, b.ipv4, "10.0.0.3").outputs).toHaveLength(0); // B asks for A's peer: silence
    expect(ask(2, a.mac, a.ipv4, "10.0.0.99").outputs).toHaveLength(0);
    expect(ask(2, a.mac, a.ipv4, "10.0.0.1").toController).toHaveLength(0);
  });

  it("drops spoofed sources and ARP replies at the port; a miss from an instance goes to the TSC", () => {
    expect(
      sw.process(ip({ inPort: 2, ethSrc: a.mac, ipv4Src: a.ipv4, ipv4Dst: "10.0.0.9" })).toController,
    ).toHaveLength(1);
    expect(sw.process(ip({ inPort: 2, ethSrc: a.mac, ipv4Src: "10.0.0.9", ipv4Dst: "10.0.0.3" })).path).toEqual([
      { tableId: 0, priority: 0 },
    ]);
    expect(
      sw.process(ip({ inPort: 2, ethSrc: b.mac, ipv4Src: a.ipv4, ipv4Dst: "10.0.0.3" })).toController,
    ).toHaveLength(0);
    const reply = sw.process({
      inPort: 2,
      ethSrc: a.mac,
      ethType: EthType.ARP,
      arpOp: 2,
      arpSpa: a.ipv4,
      arpSha: a.mac,
      arpTpa: "10.0.0.3",
    });
    expect(reply.outputs).toHaveLength(0);
  });

  it("keeps host plumbing: host stack ↔ fabric NIC; unleased mapped traffic never reaches the host stack", () => {
    expect(
      sw.process({ inPort: Port.LOCAL, ethType: EthType.IPV4, ipv4Dst: "100.64.2.11" }).outputs.map((o) => o.port),
    ).toEqual([1]);
    expect(
      sw
        .process({ inPort: 1, ethDst: H1.fabricMac, ethType: EthType.IPV4, ipv4Dst: H1.fabricIp })
        .outputs.map((o) => o.port),
    ).toEqual([Port.LOCAL]);
    expect(
      sw.process({ inPort: 1, ethDst: H1.fabricMac, ethType: EthType.IPV4, ipv4Dst: "100.65.1.77" }).outputs,
    ).toEqual([]);
    // a leased address without a pair flow: dropped in FORWARD, not asked about
    const leased = sw.process({
      inPort: 1,
      ethDst: H1.fabricMac,
      ethType: EthType.IPV4,
      ipv4Src: "100.65.2.1",
      ipv4Dst: a.fabricIp,
    });
    expect(leased.outputs).toEqual([]);
    expect(leased.toController).toEqual([]);
  });
});

describe("pair flows", () => {
  it("cross-host: the wire carries only fabric addresses and MACs, the peer sees the original ones", () => {
    const a = ep("a", H1, 2, "10.0.0.2", "100.65.1.1");
    const c = ep("c", H3, 5, "10.0.0.3", "100.65.3.7");
    const s1 = switchFor(H1, [a], [a, c]);
    const s3 = switchFor(H3, [c], [a, c]);
    const flows = pairFlows({ endpoint: a, host: H1 }, { endpoint: c, host: H3 }, { idleTimeout: 60 });
    s1.load(flows.get(H1.datapathId)!);
    s3.load(flows.get(H3.datapathId)!);
    expect([...flows.values()].map((f) => f.length)).toEqual([2, 2]);

    const sent = s1.process(
      ip({ inPort: 2, ethSrc: a.mac, ethDst: VEB_MAC, ipv4Src: a.ipv4, ipv4Dst: c.ipv4, tcpSrc: 40000, tcpDst: 80 }),
    );
    expect(sent.outputs).toHaveLength(1);
    const wire = sent.outputs[0]!;
    expect(wire.port).toBe(1);
    expect(wire.packet).toMatchObject({
      ethSrc: H1.fabricMac,
      ethDst: H1.gatewayMac,
      ipv4Src: "100.65.1.1",
      ipv4Dst: "100.65.3.7",
      tcpSrc: 40000,
      tcpDst: 80,
    });

    const delivered = s3.process({ ...wire.packet, inPort: 1, ethSrc: "02:00:64:40:02:01", ethDst: H3.fabricMac });
    expect(delivered.outputs).toEqual([
      {
        port: 5,
        packet: expect.objectContaining({
          ethSrc: VEB_MAC,
          ethDst: c.mac,
          ipv4Src: a.ipv4,
          ipv4Dst: c.ipv4,
          tcpSrc: 40000,
        }),
      },
    ]);

    const back = s3.process(ip({ inPort: 5, ethSrc: c.mac, ipv4Src: c.ipv4, ipv4Dst: a.ipv4 }));
    expect(back.outputs[0]?.packet).toMatchObject({
      ipv4Src: "100.65.3.7",
      ipv4Dst: "100.65.1.1",
      ethDst: H3.gatewayMac,
    });
  });

  it("same datacenter segment: the next hop is the peer host itself; same host: MAC rewrite only", () => {
    expect(sameSegment(H1, H2)).toBe(true);
    expect(sameSegment(H1, H3)).toBe(false);
    const a = ep("a", H1, 2, "10.0.0.2", "100.65.1.1");
    const d = ep("d", H2, 4, "10.0.0.4", "100.65.2.3");
    const egress = pairFlows({ endpoint: a, host: H1 }, { endpoint: d, host: H2 }, { idleTimeout: 0 }).get(
      H1.datapathId,
    )!;
    expect(egress[0]?.instructions).toContainEqual({
      type: "applyActions",
      actions: expect.arrayContaining([{ type: "setField", field: "ethDst", value: H2.fabricMac }]),
    });
    const e = ep("e", H1, 3, "10.0.0.5", "100.65.1.2");
    const local = pairFlows({ endpoint: a, host: H1 }, { endpoint: e, host: H1 }, { idleTimeout: 0 });
    const sw = switchFor(H1, [a, e], [a, e]);
    sw.load(local.get(H1.datapathId)!);
    const out = sw.process(ip({ inPort: 2, ethSrc: a.mac, ipv4Src: a.ipv4, ipv4Dst: e.ipv4 }));
    expect(out.outputs).toEqual([
      {
        port: 3,
        packet: expect.objectContaining({ ethSrc: VEB_MAC, ethDst: e.mac, ipv4Src: a.ipv4, ipv4Dst: e.ipv4 }),
      },
    ]);
  });

  it("every pair flow's cookie names the VPC that allowed it", () => {
    const a = ep("a", H1, 2, "10.0.0.2", "100.65.1.1");
    const c = ep("c", H3, 5, "10.0.0.3", "100.65.3.7");
    const all = [
      ...pairFlows({ endpoint: a, host: H1 }, { endpoint: c, host: H3 }, { idleTimeout: 60 }).values(),
    ].flat();
    expect(new Set(all.map((f) => f.cookie)).size).toBe(1);
    expect(all.every((f) => f.tableId === STAGES.FORWARD.table && f.idleTimeout === 60)).toBe(true);
  });
});

describe("leases, inventory, policy, packets", () => {
  it("leases move forward through the block, survive recovery and refuse conflicts", () => {
    const l = new FabricLeases();
    expect(l.lease("x", "100.65.1.0/30")).toBe("100.65.1.1");
    expect(l.lease("y", "100.65.1.0/30")).toBe("100.65.1.2");
    expect(() => l.lease("z", "100.65.1.0/30")).toThrow(/full/);
    l.release("x");
    expect(l.lease("z", "100.65.1.0/30")).toBe("100.65.1.1");
    expect(l.recover("w", "100.65.1.2")).toBe(false); // held by y
    expect(l.recover("y", "100.65.1.2")).toBe(true);
    expect(inBlock("100.65.1.0/24", "100.65.1.9")).toBe(true);
    expect(inBlock("100.65.1.0/24", "100.65.2.9")).toBe(false);
  });

  it("the inventory refuses two endpoints on one port or one address in one VPC", () => {
    const inv = new Inventory();
    inv.plug(ep("a", H1, 2, "10.0.0.2", ""));
    expect(() => inv.plug(ep("b", H1, 2, "10.0.0.3", ""))).toThrow(/already bound/);
    expect(() => inv.plug(ep("b", H2, 2, "10.0.0.2", ""))).toThrow(/already used/);
    inv.plug(ep("b", H2, 2, "10.0.0.2", "", "vpc_b", "org_b"));
    expect(inv.endpointInVpc("vpc_b", "10.0.0.2")?.id).toBe("b");
  });

  it("default policy: same VPC only", () => {
    const a = ep("a", H1, 2, "10.0.0.2", "");
    expect(sameVpcPolicy(a, ep("c", H2, 2, "10.0.0.3", "")).allowed).toBe(true);
    expect(sameVpcPolicy(a, ep("c", H2, 2, "10.0.0.3", "", "vpc_x")).allowed).toBe(false);
    expect(sameVpcPolicy(a, ep("c", H2, 2, "10.0.0.3", "", "vpc_a", "org_b")).allowed).toBe(false);
  });

  it("parses IPv4 headers out of a frame, and refuses what is not IPv4", () => {
    const f = Buffer.alloc(14 + 20 + 8);
    f.writeUInt16BE(0x0800, 12);
    f.writeUInt8(0x45, 14);
    f.writeUInt8(17, 23);
    f.set([10, 0, 0, 2], 26);
    f.set([10, 0, 0, 3], 30);
    f.writeUInt16BE(5353, 34);
    f.writeUInt16BE(7, 36);
    expect(parseIpv4(new Uint8Array(f))).toEqual({
      src: "10.0.0.2",
      dst: "10.0.0.3",
      protocol: 17,
      srcPort: 5353,
      dstPort: 7,
    });
    f.writeUInt16BE(0x0806, 12);
    expect(parseIpv4(new Uint8Array(f))).toBeUndefined();
    expect(parseIpv4(new Uint8Array(10))).toBeUndefined();
  });

  it("fills in the L4 checksum of a released first packet (offload leaves it partial)", () => {
    const frame = (protocol: number, payload: string) => {
      const l4len = (protocol === 6 ? 20 : 8) + payload.length;
      const f = Buffer.alloc(14 + 20 + l4len + 4); // + Ethernet padding that must not be summed
      f.writeUInt16BE(0x0800, 12);
      f.writeUInt8(0x45, 14);
      f.writeUInt16BE(20 + l4len, 16);
      f.writeUInt8(protocol, 23);
      f.set([10, 0, 0, 2], 26);
      f.set([10, 0, 0, 3], 30);
      f.writeUInt16BE(40000, 34);
      f.writeUInt16BE(80, 36);
      if (protocol === 6) f.writeUInt8(0x50, 46);
      else f.writeUInt16BE(l4len, 38);
      f.write(payload, 34 + (protocol === 6 ? 20 : 8));
      f.writeUInt16BE(0x1234, protocol === 6 ? 50 : 40); // a partial (wrong) checksum
      return new Uint8Array(f);
    };
    // RFC 1071: summing pseudo-header + segment including a correct checksum gives 0xffff
    const verify = (f: Uint8Array, protocol: number) => {
      const b = Buffer.from(f);
      const len = b.readUInt16BE(16) - 20;
      let sum = protocol + len + b.readUInt16BE(26) + b.readUInt16BE(28) + b.readUInt16BE(30) + b.readUInt16BE(32);
      for (let i = 34; i < 34 + len; i += 2) sum += i + 1 < 34 + len ? b.readUInt16BE(i) : b[i]! << 8;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      return sum;
    };
    for (const protocol of [6, 17]) {
      const fixed = withL4Checksum(frame(protocol, "odd"));
      expect(verify(fixed, protocol)).toBe(0xffff);
      expect(fixed.byteLength).toBe(14 + 20 + (protocol === 6 ? 20 : 8) + 3);
    }
    const arp = new Uint8Array(42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(withL4Checksum(arp)).toBe(arp);
  });

  it("rate limits packet-ins per port with a burst, then blocks the port once, longer while it keeps flooding", () => {
    const g = new PortGuard({ perSecond: 10, burst: 3, blockSeconds: 2, maxBlockSeconds: 8, maxDenyFlows: 100 });
    expect([1, 2, 3].map(() => g.admit("p", 0).kind)).toEqual(["judge", "judge", "judge"]);
    expect(g.admit("q", 0).kind).toBe("judge"); // another port has its own bucket
    expect(g.admit("p", 0)).toEqual({ kind: "block", seconds: 2 });
    expect(g.admit("p", 1500)).toEqual({ kind: "ignore" }); // in flight while the drop flow lands: no second flow
    expect(g.admit("p", 2000).kind).toBe("judge"); // block over, 2 s of tokens refilled
    for (let i = 0; i < 2; i++) g.admit("p", 2000);
    expect(g.admit("p", 2000)).toEqual({ kind: "block", seconds: 4 }); // flooding right after: doubled
    for (let i = 0; i < 3; i++) g.admit("p", 6000);
    expect(g.admit("p", 6000)).toEqual({ kind: "block", seconds: 8 });
    for (let i = 0; i < 3; i++) g.admit("p", 14_000);
    expect(g.admit("p", 14_000)).toEqual({ kind: "block", seconds: 8 }); // capped
    for (let i = 0; i < 3; i++) g.admit("p", 60_000);
    expect(g.admit("p", 60_000)).toEqual({ kind: "block", seconds: 2 }); // quiet for long: back to the first length
  });

  it("bounds the short drops one port holds: beyond the cap its misses are dropped as a whole", () => {
    const g = new PortGuard({ perSecond: 1000, burst: 1000, blockSeconds: 2, maxBlockSeconds: 16, maxDenyFlows: 3 });
    expect([1, 2, 3].map(() => g.denied("p", 0, 5).kind)).toEqual(["deny", "deny", "deny"]);
    expect(g.denyFlowsOf("p", 0)).toBe(3);
    expect(g.denied("q", 0, 5).kind).toBe("deny");
    expect(g.denied("p", 100, 5)).toEqual({ kind: "block", seconds: 2 });
    expect(g.denyFlowsOf("p", 100)).toBe(0); // the block replaced them
    expect(g.admit("p", 2100).kind).toBe("judge");
    expect(g.denied("p", 2100, 5).kind).toBe("deny");
    expect(g.denyFlowsOf("p", 7200)).toBe(0); // expired with their hard timeout
    g.forget("q");
    expect(g.denyFlowsOf("q", 0)).toBe(0);
  });
});
