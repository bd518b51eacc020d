import { InstanceState, interconnect, ofctl, run } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itCarriesPairsAcross, mixedTraffic, plugTwoTenants } from "./cross-cloud-checks.ts";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";
import { capture, capturedPackets, httpWho, rxPackets, sendRawFrames, stream, udpFrameHex } from "./probes.ts";

/**
 * Issue 15's trusted direct links on the data path (controller README "Trusted direct links"): the
 * internet topology's two clouds, plus a private interconnect between their edges that routes only
 * the gateways' blocks (infra/lab `interconnect`); the real TSC with dc1–dc2 declared direct. dc1's
 * gateway h1 sits behind the edge's 1:1 NAT, dc2's h3 has a public address; neither matters here:
 * the pair's packets cross the interconnect as they are, with no tunnel and no byte added.
 *
 *   tenant A (10.30.0.0/24): a1 h2 (dc1) .2 | a2 h4 (dc2) .3
 *   tenant B (10.30.0.0/24, the same addresses): b1 h2 .2 | b2 h4 .3
 */
let lab: DataplaneLab;
let ix: Awaited<ReturnType<typeof interconnect>>;
let inst: Record<string, InstanceState> = {};
const ns = (name: string): string => inst[name]!.ns;
const host = (id: string) => lab.state.hosts.find((h) => h.id === id)!;
const blockOf = (id: string): string => host(id).instanceBlock.replace(/0\/24$/, "");

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2, topology: "internet" });
  inst = await plugTwoTenants(lab);
  ix = await interconnect(lab.state, [1, 2]);
  await lab.mapping.setDirectLinks([["dc1", "dc2"]]);
});

afterAll(async () => {
  await lab?.down();
});

describe("two clouds joined by a trusted direct link (a private interconnect routing the gateways' blocks)", () => {
  itCarriesPairsAcross(() => inst);

  it("on the interconnect only gateway leases travel, whole; nothing of the pairs crosses the internet", async () => {
    const [end] = ix.ends;
    const blocks = [blockOf("h1"), blockOf("h3")];
    let internet: string[] = [];
    const lines = await capture(end!.ns, end!.ifname, "ip", 80, async () => {
      internet = await capture(lab.state.internet!.ns, "br0", "ip", 80, () => mixedTraffic(inst));
    });
    const packets = capturedPackets(lines);
    expect(packets.length).toBeGreaterThan(10);
    for (const p of packets) {
      expect(blocks.some((b) => p.src.startsWith(b)) && blocks.some((b) => p.dst.startsWith(b)), p.line).toBe(true);
      expect(p.dstPort, p.line).not.toBe("51820");
    }
    // (tenant addresses appear only inside payloads, e.g. an HTTP Host header: no header carries one)
    // the 1472-byte pings went whole (no tunnel, no fragment)
    expect(lines.filter((l) => /length 1500\b/.test(l)).length).toBeGreaterThanOrEqual(2);
    // on the internet, at most the tunnel's own keepalives and handshakes (small), never a pair's packet
    for (const p of capturedPackets(internet))
      expect(Number(/length (\d+)/.exec(p.line)?.[1] ?? 0), p.line).toBeLessThan(200);
  });

  it("forwards only installed pairs: a packet on the interconnect with a source lease of no pair reaches nobody", async () => {
    const [end, far] = ix.ends;
    const farMac = (await run("ip", ["netns", "exec", far!.ns, "cat", `/sys/class/net/${far!.ifname}/address`])).trim();
    const flows = await ofctl(host("h3").ovsDir, "dump-flows", "veb0", `ip,nw_src=${blockOf("h1")}0/24`);
    const m = /nw_src=(100\.65\.\d+\.\d+),nw_dst=(100\.65\.\d+\.\d+)/.exec(flows);
    expect(m, flows).not.toBeNull();
    const lastByte = Number(m![1]!.split(".")[3]);
    const stranger = `${blockOf("h1")}${lastByte === 200 ? 201 : 200}`;
    const before = await Promise.all(["a2", "b2"].map((n) => rxPackets(ns(n))));
    const frame = (src: string) =>
      udpFrameHex({ srcMac: "02:00:00:00:66:01", dstMac: farMac, srcIp: src, dstIp: m![2]!, dport: 7 });
    // sent into the interconnect at dc1's edge: dc2's edge routes it to h3 like any packet of the link
    await sendRawFrames(end!.ns, [frame(stranger)], 5, end!.ifname);
    await new Promise((r) => setTimeout(r, 500));
    const after = await Promise.all(["a2", "b2"].map((n) => rxPackets(ns(n))));
    expect(after).toEqual(before);
    // the control: the same frames with the pair's own source lease are delivered (the way in is real)
    await sendRawFrames(end!.ns, [frame(m![1]!)], 5, end!.ifname);
    await new Promise((r) => setTimeout(r, 500));
    const delivered = await Promise.all(["a2", "b2"].map((n) => rxPackets(ns(n))));
    expect(delivered[0]! + delivered[1]! - after[0]! - after[1]!).toBeGreaterThanOrEqual(5);
    expect(await httpWho(ns("a1"), inst.a2!.ip)).toBe("instance a2");
  });

  it("a TCP stream survives the link being switched to the encrypted tunnel and back (pairs move at once, no reset)", async () => {
    const running = stream(ns("a1"), inst.a2!.ip, 6_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await lab.mapping.setDirectLinks([]);
    const tunnelled = await ofctl(host("h1").ovsDir, "dump-flows", "veb0", "in_port=4000,ip");
    expect(tunnelled).toMatch(/nw_src=100\.65\./);
    await new Promise((r) => setTimeout(r, 1_500));
    await lab.mapping.setDirectLinks([["dc1", "dc2"]]);
    const r = await running;
    expect(r.error).toBeNull();
    expect(r.echoed).toBe(r.sent);
    expect(r.sent).toBeGreaterThan(60);
    expect(await ofctl(host("h1").ovsDir, "dump-flows", "veb0", "in_port=4000,ip")).not.toMatch(/nw_src=100\.65\./);
  });
});
