import { InstanceState, ofctl, ping, run, tcpProbe, udpProbe } from "@nvi/lab";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itCarriesPairsAcross, mixedTraffic, plugTwoTenants } from "./cross-cloud-checks.ts";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";
import { capture, capturedPackets, httpWho, rxPackets, sendRawFrames, udpFrameHex } from "./probes.ts";

/**
 * Issue 15 on the data path: two clouds joined only through the internet (infra/lab topology
 * "internet": an internet namespace, an edge router per datacenter, no route for instance blocks
 * between them). dc1's gateway h1 is behind the edge's 1:1 NAT, dc2's gateway h3 has a public
 * address; the real TSC runs the mapping with each datacenter a cloud of its own.
 *
 *   tenant A (10.30.0.0/24): a1 h2 (dc1) .2 | a2 h4 (dc2) .3
 *   tenant B (10.30.0.0/24, the same addresses): b1 h2 .2 | b2 h4 .3
 */
let lab: DataplaneLab;
let inst: Record<string, InstanceState> = {};
const ns = (name: string): string => inst[name]!.ns;
const hostNs = (id: string): string => lab.state.hosts.find((h) => h.id === id)!.ns;
const publicOf = (id: string): string => lab.state.hosts.find((h) => h.id === id)!.gateway!.publicIp;

/** A VEB's mapping flows (cookie kind MAPPING), without their counters, sorted. */
const pairFlows = async (id: string): Promise<string[]> =>
  (await ofctl(lab.state.hosts.find((h) => h.id === id)!.ovsDir, "dump-flows", "veb0"))
    .split("\n")
    .filter((l) => /cookie=0x4e5605/.test(l))
    .map((l) =>
      l.replace(/duration=[^,]*, |n_packets=[^,]*, |n_bytes=[^,]*, |idle_age=[^,]*, |hard_age=[^,]*, /g, "").trim(),
    )
    .sort();
/** A gateway VEB's GATEWAY_LEASE flows. */
const leaseFlows = async (id: string): Promise<string[]> =>
  (await ofctl(lab.state.hosts.find((h) => h.id === id)!.ovsDir, "dump-flows", "veb0"))
    .split("\n")
    .filter((l) => /cookie=0x4e5608/.test(l));

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2, topology: "internet" });
  inst = await plugTwoTenants(lab);
});

afterAll(async () => {
  await lab?.down();
});

describe("instances in two clouds talk through their gateways (WireGuard between them)", () => {
  it("the internet routes no instance block: a host of dc1 cannot reach a host block of dc2 directly", async () => {
    const dc2Block = lab.state.hosts.find((h) => h.id === "h4")!.instanceBlock;
    const out = await run("ip", [
      "netns",
      "exec",
      lab.state.internet!.edges[0]!.ns,
      "ip",
      "route",
      "get",
      dc2Block.replace(/0\/24$/, "1"),
    ]).catch((e: Error) => e.message);
    expect(out).toMatch(/unreachable|Network is unreachable/);
  });

  itCarriesPairsAcross(() => inst);

  it("on the internet segment only the gateways' public addresses and WireGuard UDP appear", async () => {
    const publics = new Set([publicOf("h1"), publicOf("h3")]);
    const lines = await capture(lab.state.internet!.ns, "br0", "ip", 60, async () => {
      await mixedTraffic(inst);
    });
    const packets = capturedPackets(lines);
    expect(packets.length).toBeGreaterThan(10);
    for (const p of packets) {
      expect(publics.has(p.src) && publics.has(p.dst), p.line).toBe(true);
      // whole datagrams between the WireGuard ports; second fragments carry no ports
      if (p.srcPort !== undefined) expect([p.srcPort, p.dstPort, p.proto], p.line).toEqual(["51820", "51820", "UDP,"]);
      else expect(p.proto, p.line).toMatch(/^(udp|ip-proto-17)/);
    }
    expect(lines.join("\n")).not.toMatch(/\b(10\.30\.|100\.6[45]\.)/);
  });

  it("a gateway's own services are not reachable from the internet (1:1 NAT or public NIC); from its datacenter they are", async () => {
    const echo = (hostId: string) =>
      spawn(
        "ip",
        [
          "netns",
          "exec",
          hostNs(hostId),
          process.execPath,
          "-e",
          'require("net").createServer((s) => s.pipe(s)).listen(2222)',
        ],
        { stdio: "ignore" },
      );
    const servers = [echo("h1"), echo("h3")];
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      const internet = lab.state.internet!.ns;
      expect((await tcpProbe(internet, publicOf("h1"), 2222)).ok).toBe(false);
      expect((await tcpProbe(internet, publicOf("h3"), 2222)).ok).toBe(false);
      const fabricOf = (id: string) => lab.state.hosts.find((h) => h.id === id)!.fabricIp;
      expect((await tcpProbe(hostNs("h2"), fabricOf("h1"), 2222)).ok).toBe(true);
      expect((await tcpProbe(hostNs("h4"), fabricOf("h3"), 2222)).ok).toBe(true);
    } finally {
      for (const s of servers) s.kill();
    }
  });

  it("a packet from the internet with a spoofed gateway source reaches nobody; the pair still works", async () => {
    // the leases the pair a1 ↔ a2 uses in the tunnel, read from G2's VEB (its flows from the tunnel port)
    const flows = await ofctl(
      lab.state.hosts.find((h) => h.id === "h3")!.ovsDir,
      "dump-flows",
      "veb0",
      "in_port=4000,ip",
    );
    const m = /nw_src=(100\.65\.\d+\.\d+),nw_dst=(100\.65\.\d+\.\d+)/.exec(flows);
    expect(m, flows).not.toBeNull();
    const wanMac = (await run("ip", ["netns", "exec", hostNs("h3"), "cat", "/sys/class/net/wan0/address"])).trim();
    const before = await Promise.all(["a2", "b2"].map((n) => rxPackets(ns(n))));
    const frames = [
      // mapped traffic straight to the gateway, as if it had come out of the tunnel
      udpFrameHex({ srcMac: "02:00:00:00:66:01", dstMac: wanMac, srcIp: m![1]!, dstIp: m![2]!, dport: 7 }),
      // WireGuard's port from G1's public address without G1's key
      udpFrameHex({
        srcMac: "02:00:00:00:66:01",
        dstMac: wanMac,
        srcIp: publicOf("h1"),
        dstIp: publicOf("h3"),
        dport: 51820,
      }),
    ];
    await sendRawFrames(lab.state.internet!.ns, frames, 5, "br0");
    await new Promise((r) => setTimeout(r, 500));
    expect(await Promise.all(["a2", "b2"].map((n) => rxPackets(ns(n))))).toEqual(before);
    const peers = await run("ip", [
      "netns",
      "exec",
      hostNs("h3"),
      "wg",
      "show",
      lab.state.hosts.find((h) => h.id === "h3")!.gateway!.wgIf,
      "endpoints",
    ]);
    expect(peers).toContain(`${publicOf("h1")}:51820`);
    expect(await httpWho(ns("a1"), inst.a2!.ip)).toBe("instance a2");
  });

  it("after a TSC restart the pair across clouds is re-adopted on its four VEBs (no packet-in, flows unchanged); B stays apart", async () => {
    expect(await httpWho(ns("a1"), inst.a2!.ip)).toBe("instance a2");
    const vebs = ["h2", "h1", "h3", "h4"];
    const before = await Promise.all(vebs.map(pairFlows));
    for (const [i, flows] of before.entries()) expect(flows.length, vebs[i]).toBeGreaterThanOrEqual(2);
    // the gateways wrote down the leases they hold (a1 and a2 at each of h1 and h3)
    for (const g of ["h1", "h3"]) expect((await leaseFlows(g)).length, g).toBeGreaterThanOrEqual(2);
    await lab.stopTsc();
    await lab.restartTsc();
    expect(await Promise.all(vebs.map(pairFlows))).toEqual(before);
    expect((await ping(ns("a1"), inst.a2!.ip, { count: 2, waitS: 3 })).ok).toBe(true);
    // the ping went on the flows read back: the restarted TSC was never asked, and it holds every
    // pair those flows serve (so a revocation reaches them), not merely flows it has not judged yet
    const pairs = new Set(before.flat().map((l) => /cookie=(0x[0-9a-f]+)/.exec(l)?.[1]));
    expect(lab.mapping.stats()).toMatchObject({
      packetIns: 0,
      setups: 0,
      activePairs: pairs.size,
      pairFlows: before.flat().length,
    });
    expect(await httpWho(ns("a1"), inst.a2!.ip)).toBe("instance a2");
    expect(await httpWho(ns("b2"), inst.b1!.ip)).toBe("instance b1");
    expect((await udpProbe(ns("a2"), inst.a1!.ip)).ok).toBe(true);
  });
});
