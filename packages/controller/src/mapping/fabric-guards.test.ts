import { EthType, Port, VLAN_PRESENT } from "@nvi/openflow";
import { ANY } from "@nvi/policy";
import { describe, expect, it } from "vitest";
import { FlowTable, Packet } from "../flow-table.ts";
import { hostPipeline, LeasedEndpoint, pairFlows, PairServices, VEB_MAC } from "./flows.ts";
import { FabricHost } from "./model.ts";
import { fabricHost, leasedEndpoint } from "../test-support/fabric.ts";

/**
 * What leaves an instance and what enters from the fabric (issue 14): untagged frames only, mapped
 * packets only from the MAC they must arrive with, the underlay's DSCP, and a host stack that never
 * speaks from its instance block. Each case is a frame an attacker (a tenant as root, another host
 * of the segment) can send.
 */
const H1 = fabricHost(1, 1);
const H2 = fabricHost(2, 1);
const H3 = fabricHost(3, 2);
/** MACs that differ per host too, so a frame from another host's instance is told apart */
const ep = (id: string, h: FabricHost, port: number, ip: string, fabricIp: string): LeasedEndpoint => ({
  ...leasedEndpoint(id, h, port, ip, fabricIp),
  mac: `0a:00:00:00:0${h.datapathId}:${port.toString(16).padStart(2, "0")}`,
});
const a = ep("a", H1, 2, "10.0.0.2", "100.65.1.1"); // h1, dc1
const d = ep("d", H2, 4, "10.0.0.4", "100.65.2.3"); // h2, dc1 (a's segment)
const c = ep("c", H3, 5, "10.0.0.3", "100.65.3.7"); // h3, dc2 (through the router)
const all = [a, c, d];

/** Every host's VEB with its pipeline and the pairs a–c and a–d. */
function fabric(services?: PairServices): Map<FabricHost, FlowTable> {
  const out = new Map<FabricHost, FlowTable>();
  for (const h of [H1, H2, H3]) {
    const t = new FlowTable();
    const local = all.filter((e) => e.datapathId === h.datapathId);
    t.load(hostPipeline(h, local, (e) => [e.gateway, ...all.map((p) => p.ipv4)]));
    out.set(h, t);
  }
  for (const [x, y] of [
    [a, c],
    [a, d],
  ] as const) {
    const hx = [H1, H2, H3].find((h) => h.datapathId === x.datapathId)!;
    const hy = [H1, H2, H3].find((h) => h.datapathId === y.datapathId)!;
    const flows = pairFlows({ endpoint: x, host: hx }, { endpoint: y, host: hy }, { idleTimeout: 0 }, services);
    for (const [dpid, fs] of flows) out.get([H1, H2, H3].find((h) => h.datapathId === dpid)!)!.load(fs);
  }
  return out;
}
const sw = fabric();
const s1 = sw.get(H1)!;
const s2 = sw.get(H2)!;
const s3 = sw.get(H3)!;

const fromA = (o: Partial<Packet> = {}): Packet => ({
  inPort: a.port,
  ethSrc: a.mac,
  ethDst: VEB_MAC,
  ethType: EthType.IPV4,
  ipProto: 1,
  ipv4Src: a.ipv4,
  ipv4Dst: c.ipv4,
  ...o,
});
/** a's packet to c as it arrives on h3 from the router (what h1 sent, the router's leg as source). */
const onH3 = (o: Partial<Packet> = {}): Packet => ({
  inPort: 1,
  ethSrc: H3.gatewayMac,
  ethDst: H3.fabricMac,
  ethType: EthType.IPV4,
  ipProto: 1,
  ipv4Src: a.fabricIp,
  ipv4Dst: c.fabricIp,
  ...o,
});

describe("frames leave untagged", () => {
  const tags = { "VID 100": 100, "VID 4094": 4094, "priority-tagged (VID 0)": 0 };

  it("an untagged packet reaches the fabric port", () => {
    expect(s1.process(fromA()).outputs.map((o) => o.port)).toEqual([1]);
  });

  it.each(Object.entries(tags))("an instance's IP packet tagged %s drops at its port", (_name, vid) => {
    const t = s1.process(fromA({ vlanVid: VLAN_PRESENT | vid }));
    expect(t).toMatchObject({ outputs: [], toController: [] });
    expect(t.path).toEqual([{ tableId: 0, priority: 0 }]);
    // nor to an instance on the same host, nor as a first packet to an unknown destination
    expect(s1.process(fromA({ vlanVid: VLAN_PRESENT | vid, ipv4Dst: "10.0.0.99" })).toController).toEqual([]);
  });

  it.each(Object.entries(tags))("an instance's ARP request tagged %s gets no answer", (_name, vid) => {
    const arp: Packet = {
      inPort: a.port,
      ethSrc: a.mac,
      ethDst: "ff:ff:ff:ff:ff:ff",
      ethType: EthType.ARP,
      arpOp: 1,
      arpSpa: a.ipv4,
      arpSha: a.mac,
      arpTpa: "10.0.0.1",
    };
    expect(s1.process(arp).outputs).toHaveLength(1);
    expect(s1.process({ ...arp, vlanVid: VLAN_PRESENT | vid }).outputs).toEqual([]);
  });

  it("a tagged mapped packet from the fabric is not delivered", () => {
    expect(s3.process(onH3()).outputs.map((o) => o.port)).toEqual([c.port]);
    expect(s3.process(onH3({ vlanVid: VLAN_PRESENT | 7 })).outputs).toEqual([]);
  });
});

describe("fabric ingress checks who sent it", () => {
  it("across datacenters: only from the receiving segment's router", () => {
    expect(s3.process(onH3({ ethSrc: H1.fabricMac })).outputs).toEqual([]); // not on h3's segment
    expect(s3.process(onH3({ ethSrc: "06:66:66:66:66:66" })).outputs).toEqual([]); // another box on dc2
    expect(s3.process(onH3({ ethDst: "ff:ff:ff:ff:ff:ff" })).outputs).toEqual([]); // not sent to h3
  });

  it("on one segment: only from the peer host's fabric MAC", () => {
    const sent = s1.process(fromA({ ipv4Dst: d.ipv4 })).outputs;
    expect(sent).toHaveLength(1);
    const wire = sent[0]!.packet;
    expect(wire).toMatchObject({ ethSrc: H1.fabricMac, ethDst: H2.fabricMac });
    expect(s2.process({ ...wire, inPort: 1 }).outputs.map((o) => o.port)).toEqual([d.port]);
    // the router (or a forwarding host) relaying a forged a → d packet, another host of the segment
    expect(s2.process({ ...wire, inPort: 1, ethSrc: H2.gatewayMac }).outputs).toEqual([]);
    expect(s2.process({ ...wire, inPort: 1, ethSrc: "02:00:64:40:01:0f" }).outputs).toEqual([]);
  });
});

describe("the underlay's DSCP", () => {
  it.each([0xb8 >> 2, 63, 0])("DSCP %i from an instance leaves as 0", (dscp) => {
    const out = s1.process(fromA({ ipDscp: dscp })).outputs;
    expect(out.map((o) => [o.port, o.packet.ipDscp])).toEqual([[1, 0]]);
  });

  it("also on a pair narrower than anything-both-ways (service flows)", () => {
    const narrow = fabric({
      ab: [{ protocol: "icmp", ports: [] }],
      ba: [{ protocol: "tcp", ports: [{ from: 22, to: 22 }] }],
    });
    const out = narrow.get(H1)!.process(fromA({ ipDscp: 46 })).outputs;
    expect(out.map((o) => [o.port, o.packet.ipDscp])).toEqual([[1, 0]]);
  });

  it("is the source VPC's setting when it has one, each direction its own, whatever the tenant marked", () => {
    const marked = fabric({ ab: ANY, ba: ANY, dscp: { ab: 10, ba: 46 } });
    const out = marked.get(H1)!.process(fromA({ ipDscp: 63 })).outputs;
    expect(out.map((o) => [o.port, o.packet.ipDscp])).toEqual([[1, 10]]);
    const back = marked
      .get(H3)!
      .process({ ...fromA(), inPort: c.port, ethSrc: c.mac, ipv4Src: c.ipv4, ipv4Dst: a.ipv4 });
    expect(back.outputs.map((o) => [o.port, o.packet.ipDscp])).toEqual([[1, 46]]);
    // and the receiving side delivers it as marked on the underlay (the pair's own flows, nothing reset)
    expect(
      marked
        .get(H3)!
        .process(onH3({ ipDscp: 10 }))
        .outputs.map((o) => o.port),
    ).toEqual([c.port]);
  });
});

describe("the host's own stack", () => {
  it("reaches the fabric from its fabric address, never from its instance block", () => {
    const local = { inPort: Port.LOCAL, ethSrc: H1.fabricMac, ethType: EthType.IPV4, ipv4Dst: c.fabricIp };
    expect(s1.process({ ...local, ipv4Src: H1.fabricIp }).outputs.map((o) => o.port)).toEqual([1]);
    expect(s1.process({ ...local, ipv4Src: a.fabricIp }).outputs).toEqual([]);
    expect(s1.process({ ...local, ipv4Src: "100.65.1.200" }).outputs).toEqual([]);
    const arp = { inPort: Port.LOCAL, ethType: EthType.ARP, arpOp: 2, arpTpa: "100.64.1.1" };
    expect(s1.process({ ...arp, arpSpa: H1.fabricIp }).outputs).toHaveLength(1);
    expect(s1.process({ ...arp, arpSpa: a.fabricIp }).outputs).toEqual([]);
  });
});
