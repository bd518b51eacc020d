import { InstanceState, ping, run, tcpProbe, udpProbe } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";
import { capture, capturedPackets, httpWho } from "./probes.ts";

/**
 * Issue 15, "a cloud behind a port-rewriting NAT": three clouds joined only through the internet
 * (infra/lab topology "internet"). dc1's gateway h1 is behind 1:1 NAT, dc2's h3 has a public
 * address, dc3's h5 is behind an edge that masquerades with random source ports and lets nothing
 * in (the office box behind a carrier NAT). h5 dials out (keepalive); the other gateways learn the
 * port its NAT chose from its authenticated packets and must keep it across heartbeats.
 *
 *   tenant A (10.31.0.0/24): a1 h2 (dc1) .2 | a2 h4 (dc2) .3 | a3 h6 (dc3) .4
 */
const A = { tenantId: "org_a", vpcId: "vpc_a" };
let lab: DataplaneLab;
const inst: Record<string, InstanceState> = {};
const ns = (name: string): string => inst[name]!.ns;
const host = (id: string) => lab.state.hosts.find((h) => h.id === id)!;
const publicOf = (id: string): string => host(id).gateway!.publicIp;

/** What WireGuard on gateway `id` holds as the endpoint of the NAT'd gateway h5. */
async function endpointOfH5(id: string): Promise<string> {
  const h = host(id);
  const out = await run("ip", ["netns", "exec", h.ns, "wg", "show", h.gateway!.wgIf, "endpoints"]);
  const h5 = await run("ip", ["netns", "exec", host("h5").ns, "wg", "show", host("h5").gateway!.wgIf, "public-key"]);
  const line = out.split("\n").find((l) => l.startsWith(h5.trim()));
  return line?.trim().split(/\s+/)[1] ?? "(no peer)";
}

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 3, hostsPerDc: 2, topology: "internet" });
  const plan: [string, string, string][] = [
    ["a1", "h2", "10.31.0.2/24"],
    ["a2", "h4", "10.31.0.3/24"],
    ["a3", "h6", "10.31.0.4/24"],
  ];
  for (const [name, on, ip] of plan) inst[name] = await lab.instance({ name, host: on, ip }, A);
});

afterAll(async () => {
  await lab?.down();
});

describe("a cloud behind a port-rewriting NAT joins through its gateway's outbound WireGuard", () => {
  it("the lab: h5 has no public address of its own, and its edge rewrote WireGuard's port", async () => {
    expect(host("h5").gateway!.mode).toBe("napt");
    expect(publicOf("h5")).toBe(lab.state.internet!.edges.find((e) => e.dc === 3)!.publicIp);
    for (const g of ["h1", "h3"]) {
      const endpoint = await endpointOfH5(g);
      expect(endpoint.startsWith(`${publicOf("h5")}:`), endpoint).toBe(true);
      expect(endpoint, "the NAT kept the port: not the lab this test is about").not.toBe(`${publicOf("h5")}:51820`);
    }
  });

  it("a3 ↔ a2 (public) and a3 ↔ a1 (1:1 NAT): ping, TCP, UDP and HTTP both ways", async () => {
    for (const [from, to] of [
      ["a3", "a2"],
      ["a2", "a3"],
      ["a3", "a1"],
      ["a1", "a3"],
    ] as const) {
      expect((await ping(ns(from), inst[to]!.ip, { count: 1, waitS: 3 })).ok, `${from} → ${to}`).toBe(true);
      expect((await tcpProbe(ns(from), inst[to]!.ip)).ok, `${from} → ${to}`).toBe(true);
      expect((await udpProbe(ns(from), inst[to]!.ip)).ok, `${from} → ${to}`).toBe(true);
      expect(await httpWho(ns(from), inst[to]!.ip)).toBe(`instance ${to}`);
    }
  });

  it("after heartbeats re-apply every gateway, the learned endpoints stay and the public side still reaches dc3 first", async () => {
    const before = await Promise.all(["h1", "h3"].map(endpointOfH5));
    await lab.gatewayHeartbeat();
    await lab.gatewayHeartbeat();
    // the public side speaks first: no packet from dc3 re-teaches it the port in between
    expect((await ping(ns("a2"), inst.a3!.ip, { count: 2, waitS: 3 })).ok).toBe(true);
    expect(await httpWho(ns("a1"), inst.a3!.ip)).toBe("instance a3");
    expect((await tcpProbe(ns("a2"), inst.a3!.ip)).ok).toBe(true);
    expect(await Promise.all(["h1", "h3"].map(endpointOfH5))).toEqual(before);
  });

  it("on the internet segment only gateways' public addresses and WireGuard UDP appear (dc3's from its NAT's port)", async () => {
    const publics = new Set(["h1", "h3", "h5"].map(publicOf));
    const lines = await capture(lab.state.internet!.ns, "br0", "ip", 40, async () => {
      await ping(ns("a3"), inst.a2!.ip, { count: 3 });
      await ping(ns("a1"), inst.a3!.ip, { size: 1472, count: 2 });
      await tcpProbe(ns("a2"), inst.a3!.ip);
      await httpWho(ns("a3"), inst.a1!.ip);
    });
    const packets = capturedPackets(lines);
    expect(packets.length).toBeGreaterThan(10);
    for (const p of packets) {
      expect(publics.has(p.src) && publics.has(p.dst), p.line).toBe(true);
      if (p.srcPort === undefined) {
        expect(p.proto, p.line).toMatch(/^(udp|ip-proto-17)/);
        continue;
      }
      expect(p.proto, p.line).toBe("UDP,");
      // a gateway with an address of its own always speaks from 51820; only dc3's NAT picks other ports
      if (p.src !== publicOf("h5")) expect(p.srcPort, p.line).toBe("51820");
      if (p.dst !== publicOf("h5")) expect(p.dstPort, p.line).toBe("51820");
    }
    expect(lines.join("\n")).not.toMatch(/\b(10\.31\.|100\.6[45]\.)/);
  });
});
