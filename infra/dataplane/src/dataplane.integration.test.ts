import { VEB_MAC } from "@nvi/controller";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { InstanceState, ofctl, ping, restartVswitchd, run, startAgent, stopAgent, tcpProbe, udpProbe } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";
import { AGENT_BUNDLE, buildAgentBundle } from "./local-hosts.ts";
import { arpReplyHex, capture, httpWho, rxPackets, sendRawFrames, udpFrameHex } from "./probes.ts";

/**
 * The NVI data path with real packets: 2 datacenters × 2 hosts (each its own ovs-vswitchd), the
 * real TSC with the mapping, two tenants using the same CIDR on the same hosts.
 *
 *   tenant A (vpc-a, 10.20.0.0/24): a1 h1 .2 | a4 h1 .5 | a2 h2 .3 | a3 h3 .4
 *   tenant B (vpc-b, 10.20.0.0/24): b1 h1 .2 | b2 h3 .3 | b3 h4 .4
 */
const A = { tenantId: "org_a", vpcId: "vpc_a" };
const B = { tenantId: "org_b", vpcId: "vpc_b" };
let lab: DataplaneLab;
const inst: Record<string, InstanceState> = {};
const ns = (name: string): string => inst[name]!.ns;

async function until(what: string, fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2 });
  const plan: [string, string, string, typeof A][] = [
    ["a1", "h1", "10.20.0.2/24", A],
    ["a4", "h1", "10.20.0.5/24", A],
    ["a2", "h2", "10.20.0.3/24", A],
    ["a3", "h3", "10.20.0.4/24", A],
    ["b1", "h1", "10.20.0.2/24", B],
    ["b2", "h3", "10.20.0.3/24", B],
    ["b3", "h4", "10.20.0.4/24", B],
  ];
  for (const [name, host, ip, tenancy] of plan) inst[name] = await lab.instance({ name, host, ip }, tenancy);
});

afterAll(async () => {
  await lab?.down();
});

describe("one tenant's instances talk across hosts and datacenters", () => {
  const pairs: [string, string, string][] = [
    ["a1", "a4", "same host"],
    ["a1", "a2", "across hosts, same datacenter"],
    ["a1", "a3", "across datacenters"],
    ["b1", "b2", "tenant B across datacenters"],
    ["b2", "b3", "tenant B across hosts"],
  ];
  for (const [from, to, where] of pairs) {
    it(`${from} → ${to} (${where}): ping from the first echo, TCP, UDP, and the right instance answers`, async () => {
      const dst = inst[to]!.ip;
      // the first echo already comes back: the TSC installs both VEBs before releasing the packet
      expect((await ping(ns(from), dst, { count: 1, waitS: 2 })).ok).toBe(true);
      expect((await tcpProbe(ns(from), dst)).ok).toBe(true);
      expect((await udpProbe(ns(from), dst)).ok).toBe(true);
      expect(await httpWho(ns(from), dst)).toBe(`instance ${to}`);
      expect((await ping(ns(to), inst[from]!.ip)).ok).toBe(true);
    });
  }

  it("a brand-new pair's first TCP connection needs no retransmit (the released SYN is intact)", async () => {
    // a2 and a3 have not talked yet: the SYN goes to the TSC and is released after setup
    const t0 = Date.now();
    expect(await httpWho(ns("a2"), inst.a3!.ip, 900)).toBe("instance a3");
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it("MTU 1500 is intact: DF ping of 1472 bytes passes across datacenters, 1473 does not fit", async () => {
    expect((await ping(ns("a1"), inst.a3!.ip, { size: 1472, dontFragment: true, count: 2 })).ok).toBe(true);
    expect((await ping(ns("a1"), inst.a3!.ip, { size: 1473, dontFragment: true })).ok).toBe(false);
  });

  it("the underlay carries only fabric addresses, unencapsulated, full-size frames", async () => {
    const lines = await capture(lab.state.router.ns, "dc1", "icmp", 4, () =>
      ping(ns("a1"), inst.a3!.ip, { size: 1472, dontFragment: true, count: 2 }),
    );
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const text = lines.join("\n");
    expect(text).not.toMatch(/10\.20\.0\./); // no tenant address on the wire
    expect(text).not.toMatch(/VXLAN|GRE|Geneve|4789|6081/i); // no encapsulation header
    expect(text).toMatch(/length 1514/); // 14 + 1500: nothing added
    expect(text).toMatch(/100\.65\.1\.\d+ > 100\.65\.3\.\d+/); // per-instance fabric addresses of h1 and h3
    expect(text).toContain(lab.state.hosts[0]!.fabricMac); // h1's MAC towards its next hop (the router)
  });
});

describe("tenant B cannot reach tenant A (same CIDR, same hosts)", () => {
  const victims = ["a1", "a2", "a3", "a4"];
  const rxOfA = async (): Promise<number[]> => Promise.all(victims.map((v) => rxPackets(ns(v))));
  /** Each test checks that nothing it sent reached an instance of tenant A (none leans on another's run). */
  const reachingNoneOfA = async (attempt: () => Promise<void>): Promise<void> => {
    const before = await rxOfA();
    await attempt();
    await new Promise((r) => setTimeout(r, 500));
    expect(await rxOfA(), "packets that reached an instance of tenant A").toEqual(before);
  };

  it("B's own addresses lead to B's instances only", () =>
    reachingNoneOfA(async () => {
      expect(await httpWho(ns("b1"), "10.20.0.3")).toBe("instance b2");
      expect(await httpWho(ns("b1"), "10.20.0.4")).toBe("instance b3");
      expect(await httpWho(ns("b1"), "10.20.0.5")).toBeUndefined(); // a4's address: not in B's VPC
    }));

  it("a spoofed source IP is dropped at the port", () =>
    reachingNoneOfA(async () => {
      expect((await ping(ns("b1"), "10.20.0.3")).ok).toBe(true); // b1 → b2 works with its own address
      await run("ip", ["netns", "exec", ns("b1"), "ip", "addr", "add", "10.20.0.5/24", "dev", "eth0"]);
      try {
        const spoofed = await run("ip", [
          "netns",
          "exec",
          ns("b1"),
          "ping",
          "-n",
          "-c",
          "2",
          "-W",
          "1",
          "-I",
          "10.20.0.5",
          "10.20.0.3",
        ]).then(
          () => true,
          () => false,
        );
        expect(spoofed).toBe(false);
      } finally {
        await run("ip", ["netns", "exec", ns("b1"), "ip", "addr", "del", "10.20.0.5/24", "dev", "eth0"]);
      }
    }));

  it("a spoofed source MAC (a1's) is dropped at the port", () =>
    reachingNoneOfA(async () => {
      await run("ip", ["netns", "exec", ns("b1"), "ip", "link", "set", "eth0", "address", inst.a1!.mac]);
      try {
        expect((await ping(ns("b1"), "10.20.0.3", { count: 2 })).ok).toBe(false);
      } finally {
        await run("ip", ["netns", "exec", ns("b1"), "ip", "link", "set", "eth0", "address", inst.b1!.mac]);
      }
      await until("b1 back on its own MAC", async () => (await ping(ns("b1"), "10.20.0.3")).ok);
    }));

  it("forged ARP replies never leave the port (A's neighbours keep the VEB's answers)", () =>
    reachingNoneOfA(async () => {
      const forged = ["10.20.0.2", "10.20.0.3", "10.20.0.4", "10.20.0.5", "10.20.0.1"].flatMap((ip) => [
        arpReplyHex({
          senderMac: inst.b1!.mac,
          senderIp: ip,
          targetMac: "ff:ff:ff:ff:ff:ff",
          targetIp: ip,
          dstMac: "ff:ff:ff:ff:ff:ff",
        }),
        arpReplyHex({
          senderMac: inst.b1!.mac,
          senderIp: ip,
          targetMac: inst.a1!.mac,
          targetIp: inst.a1!.ip,
          dstMac: inst.a1!.mac,
        }),
      ]);
      await sendRawFrames(ns("b1"), forged, 3);
      for (const v of victims) {
        const neigh = await run("ip", ["netns", "exec", ns(v), "ip", "neigh", "show"]);
        expect(neigh).not.toContain(inst.b1!.mac);
      }
    }));

  it("the hosts' fabric addresses and A's mapped fabric addresses are unreachable from B", () =>
    reachingNoneOfA(async () => {
      const targets = [
        ...lab.state.hosts.map((h) => h.fabricIp),
        ...victims.map((v) => lab.mapping.fabricAddressOf(v)!),
      ];
      expect(targets.every(Boolean)).toBe(true);
      const results = await Promise.all(
        targets.map(async (t) => [
          t,
          (await ping(ns("b1"), t)).ok,
          (await tcpProbe(ns("b1"), t, 7, 800)).ok,
          (await udpProbe(ns("b1"), t, 7, 800)).ok,
        ]),
      );
      expect(results.filter(([, ...oks]) => oks.some(Boolean))).toEqual([]);
    }));

  it("raw frames aimed at A (fabric MAC + mapped address, A's addresses, broadcast) are dropped: not one packet reaches an instance of tenant A", () =>
    reachingNoneOfA(async () => {
      const h1 = lab.state.hosts[0]!;
      const own = { srcMac: inst.b1!.mac, srcIp: inst.b1!.ip };
      const frames = [
        udpFrameHex({ ...own, dstMac: h1.fabricMac, dstIp: lab.mapping.fabricAddressOf("a2")! }),
        udpFrameHex({ ...own, dstMac: VEB_MAC, dstIp: lab.mapping.fabricAddressOf("a3")! }),
        udpFrameHex({ ...own, dstMac: inst.a4!.mac, dstIp: inst.a4!.ip }),
        udpFrameHex({ ...own, dstMac: "ff:ff:ff:ff:ff:ff", dstIp: "10.20.0.255" }),
        udpFrameHex({ ...own, dstMac: "ff:ff:ff:ff:ff:ff", dstIp: "255.255.255.255" }),
        udpFrameHex({ srcMac: inst.a1!.mac, srcIp: inst.a1!.ip, dstMac: VEB_MAC, dstIp: inst.a2!.ip }), // a1 impersonated
      ];
      await sendRawFrames(ns("b1"), frames, 5);
    }));
});

describe("a tenant cannot flood the TSC", () => {
  it("a port sending new conversations past its packet-in rate gets a short drop; its established pairs keep flowing", async () => {
    expect((await ping(ns("b3"), inst.b2!.ip)).ok).toBe(true); // b3 ↔ b2 established
    const before = lab.mapping.stats();
    // 600 UDP datagrams to 600 different addresses: each would be a new conversation to decide
    const frames = Array.from({ length: 600 }, (_, i) =>
      udpFrameHex({
        srcMac: inst.b3!.mac,
        srcIp: inst.b3!.ip,
        dstMac: VEB_MAC,
        dstIp: `10.21.${i >> 7}.${(i & 0x7f) + 1}`,
      }),
    );
    await sendRawFrames(ns("b3"), frames, 1);
    const after = lab.mapping.stats();
    expect(after.rateLimited - before.rateLimited).toBeGreaterThan(0);
    expect(after.setups).toBe(before.setups); // none of it was allowed anywhere
    // while the drop holds, a second flood barely reaches the TSC
    await sendRawFrames(ns("b3"), frames, 1);
    expect(lab.mapping.stats().packetIns - after.packetIns).toBeLessThan(60);
    const h4 = lab.state.hosts[3]!;
    expect(await ofctl(h4.ovsDir, "dump-flows", h4.bridge)).toMatch(
      new RegExp(`priority=50,in_port=${inst.b3!.ofport} actions=drop`),
    );
    expect((await ping(ns("b3"), inst.b2!.ip)).ok).toBe(true);
  });
});

describe("the agent goes away and comes back", () => {
  it("killing h1's agent and starting it again (it re-asserts the VEB) leaves traffic alone", async () => {
    const h1 = lab.state.hosts[0]!;
    await buildAgentBundle();
    // the real agent, owning h1's VEB and pointed at the running TSC; no console here, so it keeps retrying to enroll
    const cmd = `NVI_CONTROLLER=ssl:${lab.state.mgmt.tscIp}:${lab.port} NVI_JOIN=nvj_demo@http://127.0.0.1:9 NVI_STATE_DIR=${h1.ovsDir}/agent exec ${process.execPath} ${AGENT_BUNDLE}`;
    const log = path.join(h1.ovsDir, "agent.log");
    await startAgent(lab.state.name, "h1", cmd);
    await until(
      "the agent to own the VEB",
      async () => (await readFile(log, "utf8").catch(() => "")).includes("veb ready"),
      30_000,
    );
    expect((await ping(ns("a1"), inst.a3!.ip)).ok).toBe(true);
    expect(await stopAgent(lab.state.name, "h1")).toBe(true);
    expect((await ping(ns("a1"), inst.a3!.ip, { count: 3 })).ok).toBe(true);
    expect((await ping(ns("a2"), inst.a1!.ip)).ok).toBe(true);
    await startAgent(lab.state.name, "h1", cmd);
    await until(
      "the agent to own the VEB again",
      async () => (await readFile(log, "utf8").catch(() => "")).split("veb ready").length > 2,
      30_000,
    );
    expect((await ping(ns("a1"), inst.a3!.ip, { count: 3 })).ok).toBe(true);
    expect(lab.tsc.switches.has(BigInt(`0x${h1.datapathId}`))).toBe(true);
    await stopAgent(lab.state.name, "h1");
  });
});

describe("a host's vswitchd restarts (a crash, an upgrade): its VEB comes back empty", () => {
  it("the TSC sets the pairs it left half up again at the read-back: traffic the peers' flows still send flows again", async () => {
    expect((await ping(ns("a1"), inst.a3!.ip)).ok).toBe(true); // a1 (h1) ↔ a3 (h3), across datacenters
    expect(await httpWho(ns("b1"), "10.20.0.3")).toBe("instance b2"); // b1 (h1) ↔ b2 (h3)
    const h3 = lab.state.hosts[2]!;
    const before = lab.mapping.stats();
    await restartVswitchd(lab.state.name, h3.id);
    // resynced: its pipeline is back (a3's lease flow, sent with the resync's diff)
    const lease = `nw_dst=${lab.mapping.fabricAddressOf("a3")}`;
    await until("h3's VEB to be synced again", async () =>
      (await ofctl(h3.ovsDir, "dump-flows", h3.bridge, "table=0").catch(() => "")).includes(lease),
    );
    // before, h1's flows still sent a1's packets to h3, which held nothing for them: a black hole
    // until a3 itself opened something
    expect((await ping(ns("a1"), inst.a3!.ip, { count: 3 })).ok).toBe(true);
    expect(await httpWho(ns("b1"), "10.20.0.3")).toBe("instance b2");
    // set up again at the read-back, not by a packet-in
    expect(lab.mapping.stats().restoredPairs).toBeGreaterThanOrEqual(before.restoredPairs + 2);
  });
});

describe("the TSC goes away and comes back", () => {
  it("established conversations keep flowing, new ones wait, state is recovered from the switches", async () => {
    expect((await ping(ns("a1"), inst.a3!.ip)).ok).toBe(true);
    const leases = Object.fromEntries(
      ["a1", "a2", "a3", "a4", "b1", "b2", "b3"].map((n) => [n, lab.mapping.fabricAddressOf(n)]),
    );
    await lab.stopTsc();
    try {
      expect((await ping(ns("a1"), inst.a3!.ip, { count: 3 })).ok).toBe(true); // established: the VEBs keep their flows
      expect((await ping(ns("a4"), inst.a2!.ip, { count: 2 })).ok).toBe(false); // new pair: nobody to ask (fail_mode=secure)
    } finally {
      await lab.restartTsc(); // also when an assertion above failed: the tests after this one need a TSC
    }
    // leases read back from the VEBs, not re-allocated
    for (const [n, address] of Object.entries(leases)) expect(lab.mapping.fabricAddressOf(n), n).toBe(address);
    expect(lab.mapping.stats().activePairs).toBeGreaterThan(0);
    expect((await ping(ns("a1"), inst.a3!.ip)).ok).toBe(true);
    expect((await ping(ns("a4"), inst.a2!.ip, { waitS: 2 })).ok).toBe(true);
    expect(await httpWho(ns("b1"), "10.20.0.3")).toBe("instance b2");
  });
});

describe("unplug revokes at once", () => {
  it("after unplugging a4, a1 cannot reach it and a4's flows are gone from h1", async () => {
    expect((await ping(ns("a1"), inst.a4!.ip)).ok).toBe(true);
    await lab.mapping.unplug("a4");
    expect((await ping(ns("a1"), inst.a4!.ip, { count: 2 })).ok).toBe(false);
    const h1 = lab.state.hosts[0]!;
    // what remains about a4 is at most the short-lived drop for a1's new attempts (cookie kind DENY)
    const about = (await ofctl(h1.ovsDir, "dump-flows", h1.bridge))
      .split("\n")
      .filter(
        (l) =>
          l.includes(inst.a4!.ip) ||
          l.includes(`in_port=${inst.a4!.ofport},`) ||
          l.includes(`output:${inst.a4!.ofport}`),
      );
    expect(about.length).toBeGreaterThan(0);
    expect(about.every((l) => l.includes("cookie=0x4e5606") && l.includes("actions=drop"))).toBe(true);
  });
});
