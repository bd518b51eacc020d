import { VEB_MAC } from "@nvi/contracts";
import { ipv4ToNumber, macToBytes } from "@nvi/openflow";
import { run, tryRun } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchRunning, startInstancesJourney, type InstancesJourney } from "./instances-journey.ts";
import { capture, rxPackets, sendRawFrames } from "./probes.ts";

/**
 * Issue 14, "frames leave as the pipeline says", on the whole product (REST → worker with the TSC
 * → real agents owning their VEBs → netns instances in two datacenters): root in an instance sends
 * 802.1Q single-, priority- and double-tagged and 802.1ad frames, record-route and timestamp pings
 * and a DSCP-marked ping to a peer in the other datacenter. A capture on the sender's datacenter
 * underlay (the lab's `NAME-dc1` bridge) sees no tag, no IP option and DSCP 0 (or the VPC's own
 * underlay DSCP once it sets one); the plain ping passes; the peer receives none of the tagged frames.
 */
let ij: InstancesJourney;
let ns: { a: string; b: string; underlay: string; underlay2: string; host1: string };
let addr: { a: string; b: string };
/** a's and b's fabric addresses, as the underlay carries them */
let fabric: { a: string; b: string };
let macA: string;
let host2: { fabricMac: string; gatewayMac: string };

beforeAll(async () => {
  ij = await startInstancesJourney();
  const j = ij.j;
  await launchRunning(j, [
    ["frames-a", "dc1"],
    ["frames-b", "dc2"],
  ]);
  const list = (await j.stack.call("GET", "/instances")).body as { id: string; name: string; address: string }[];
  const a = list.find((i) => i.name === "frames-a")!;
  const b = list.find((i) => i.name === "frames-b")!;
  ns = {
    a: `${j.lab.name}-n-${a.id}`,
    b: `${j.lab.name}-n-${b.id}`,
    underlay: `${j.lab.name}-dc1`,
    underlay2: `${j.lab.name}-dc2`,
    host1: j.lab.hosts.find((h) => h.dc === 1)!.ns,
  };
  host2 = j.lab.hosts.find((h) => h.dc === 2)!;
  addr = { a: a.address, b: b.address };
  macA = (JSON.parse(await run("ip", ["-n", ns.a, "-j", "link", "show", "eth0"])) as { address: string }[])[0]!.address;
  // the pair exists (the plain ping passes), so a tagged or optioned packet meets the pair's flows
  const seen = await capture(ns.underlay, "br0", "icmp", 1000, async () => {
    expect(await j.pingFrom(a.id, b.address)).toBe(true);
  });
  const m = seen.map((l) => /(100\.65\.\d+\.\d+) > (100\.65\.\d+\.\d+): ICMP echo request/.exec(l)).find(Boolean);
  fabric = { a: m![1]!, b: m![2]! };
}, 240_000);

afterAll(async () => {
  await ij?.close();
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const u16 = (n: number): string => n.toString(16).padStart(4, "0");
function checksum(h: string): string {
  let sum = 0;
  for (let i = 0; i < h.length; i += 4) sum += parseInt(h.slice(i, i + 4).padEnd(4, "0"), 16);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return u16(~sum & 0xffff);
}

/**
 * An ICMP echo request a → b, from a's own MAC and address to the VEB's MAC, with `tags` (TPID +
 * TCI hex) after the MACs; or, with `o`, the mapped packet as the underlay would carry it.
 */
function echoFrame(tags: string, o?: { src: string; dst: string; ethSrc: string; ethDst: string }): string {
  const icmpNoSum = `08000000${u16(0x4e56)}0001${Buffer.from("tagged-frame").toString("hex")}`;
  const icmp = icmpNoSum.slice(0, 4) + checksum(icmpNoSum) + icmpNoSum.slice(8);
  const ip4 = (a: string) => ipv4ToNumber(a).toString(16).padStart(8, "0");
  const ipNoSum = `4500${u16(20 + icmp.length / 2)}0000400040010000${ip4(o?.src ?? addr.a)}${ip4(o?.dst ?? addr.b)}`;
  const ip = ipNoSum.slice(0, 20) + checksum(ipNoSum) + ipNoSum.slice(24);
  return `${hex(macToBytes(o?.ethDst ?? VEB_MAC))}${hex(macToBytes(o?.ethSrc ?? macA))}${tags}0800${ip}${icmp}`;
}

const TAGGED: Record<string, string> = {
  "802.1Q VID 100": "81000064",
  "802.1Q VID 4094": "81000ffe",
  "priority-tagged (VID 0, PCP 5)": "8100a000",
  "802.1Q in 802.1Q": "8100006481000065",
  "802.1ad outer, 802.1Q inner": "88a800c881000064",
  "802.1ad alone": "88a800c8",
};

const inA = (args: string[]) => tryRun("ip", ["netns", "exec", ns.a, ...args], { timeoutMs: 15_000 });
const ping = (...opts: string[]) => inA(["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", ...opts, addr.b]);

describe("frames leave the host as the pipeline says", () => {
  it("the agent put the fabric egress guard on its fabric NIC", async () => {
    const table = await run("ip", ["netns", "exec", ns.host1, "nft", "list", "table", "netdev", "nvi_fabric"]);
    expect(table).toMatch(/hook egress device "fab0"/);
    expect(table).toMatch(/ip saddr 100\.65\.1\.0\/24 ip hdrlength != 5 .*drop/);
  });

  it("tagged frames (single, priority, double, 802.1ad) neither reach the underlay nor the peer", async () => {
    const before = await rxPackets(ns.b);
    const seen = await capture(ns.underlay, "br0", "not arp", 1000, async () => {
      await sendRawFrames(
        ns.a,
        Object.values(TAGGED).map((t) => echoFrame(t)),
        3,
      );
      expect((await ping()).ok).toBe(true); // the plain ping still passes (and shows on the capture)
    });
    const tagged = seen.filter((l) => /802\.1Q|802\.1ad|QinQ|vlan|0x8100|0x88a8/i.test(l));
    expect(tagged, seen.join("\n")).toEqual([]);
    expect(seen.filter((l) => /ICMP echo request/.test(l)).length, seen.join("\n")).toBeGreaterThanOrEqual(2);
    expect(seen.join("\n")).not.toContain("tagged-frame");
    // the two plain echoes (and nothing else from a) arrived
    expect((await rxPackets(ns.b)) - before).toBeLessThanOrEqual(2);
  });

  it("record-route and timestamp pings leave no option on the underlay; the plain ping passes", async () => {
    const seen = await capture(ns.underlay, "br0", "icmp", 1000, async () => {
      await ping("-R");
      await ping("-T", "tsonly");
      expect((await ping()).ok).toBe(true);
    });
    const withOptions = seen.filter((l) => /options \(|\bRR\b|\bTS\{/.test(l));
    expect(withOptions, seen.join("\n")).toEqual([]);
    expect(seen.filter((l) => /ICMP echo request/.test(l)).length, seen.join("\n")).toBeGreaterThanOrEqual(2);
    // the guard counted what it dropped
    const table = await run("ip", ["netns", "exec", ns.host1, "nft", "list", "table", "netdev", "nvi_fabric"]);
    expect(Number(/counter packets (\d+)/.exec(table)?.[1])).toBeGreaterThanOrEqual(4);
  });

  it("a DSCP-marked ping (EF, 0xb8) crosses the underlay with DSCP 0", async () => {
    const seen = await capture(ns.underlay, "br0", "icmp", 1000, async () => {
      expect((await ping("-Q", "0xb8")).ok).toBe(true);
    });
    const ipLines = seen.filter((l) => /\(tos 0x/.test(l));
    expect(ipLines.length, seen.join("\n")).toBeGreaterThanOrEqual(4); // requests and replies
    expect(
      ipLines.filter((l) => !/\(tos 0x0,/.test(l)),
      seen.join("\n"),
    ).toEqual([]);
  });

  it("a VPC with its own underlay DSCP: its packets carry that mark, whatever the tenant set", async () => {
    const j = ij.j;
    const vpcs = (await j.stack.call("GET", "/vpcs")).body as { id: string }[];
    const mark = async (underlayDscp: number) => {
      const r = await j.stack.call("PUT", `/vpcs/${vpcs[0]!.id}/underlay-dscp`, { underlayDscp });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect(await j.finished((r.body as { operationId: string }).operationId)).toMatchObject({ status: "succeeded" });
    };
    await mark(10); // AF11: tos 0x28
    try {
      const seen = await capture(ns.underlay, "br0", "icmp", 1000, async () => {
        expect((await ping("-Q", "0xb8")).ok).toBe(true);
      });
      const ipLines = seen.filter((l) => /\(tos 0x/.test(l));
      // The mark change set the pair up again, so the first echo may be the one that waits for it:
      // what matters is that every request and reply seen, at least one of each, carries the mark.
      expect(seen.filter((l) => /ICMP echo request/.test(l)).length, seen.join("\n")).toBeGreaterThanOrEqual(1);
      expect(seen.filter((l) => /ICMP echo reply/.test(l)).length, seen.join("\n")).toBeGreaterThanOrEqual(1);
      expect(
        ipLines.filter((l) => !/\(tos 0x28,/.test(l)),
        seen.join("\n"),
      ).toEqual([]);
    } finally {
      await mark(0);
      expect((await ping()).ok).toBe(true); // the pair is set up again (the next case needs it)
    }
  });

  it("a mapped packet forged on the peer's segment passes only from the MAC it must come from (the router)", async () => {
    const forged = (ethSrc: string) => echoFrame("", { src: fabric.a, dst: fabric.b, ethSrc, ethDst: host2.fabricMac });
    const before = await rxPackets(ns.b);
    // another box on dc2's underlay (not the router) forging a → b: never delivered
    await sendRawFrames(ns.underlay2, [forged("02:66:66:66:66:66")], 3, "br0");
    expect((await rxPackets(ns.b)) - before).toBe(0);
    // the same bytes from the router's MAC are what the ingress flow accepts (the underlay is trusted: ARCHITECTURE.md)
    await sendRawFrames(ns.underlay2, [forged(host2.gatewayMac)], 3, "br0");
    expect((await rxPackets(ns.b)) - before).toBe(3);
  });
});
