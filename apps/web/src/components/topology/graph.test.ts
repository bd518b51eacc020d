import type { CloudDto, CloudLinkDto, MatrixDto, TopologyHostDto } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { buildGraph, HOST_W, hostHeight } from "./graph.ts";

const cloud = (name: string, dc: string, interconnect: CloudDto["interconnect"] = "routed") =>
  ({
    id: `cloud_${name}`,
    name,
    kind: "baremetal",
    region: "eu",
    datacenter: dc,
    interconnect,
    hostCount: 0,
  }) as CloudDto;
const host = (name: string, cloudId: string, o: Partial<TopologyHostDto> = {}) =>
  ({
    id: `host_${name}`,
    cloudId,
    name,
    status: "online",
    fabricAddress: null,
    gatewayPublicAddress: null,
    instanceCount: 0,
    ...o,
  }) as TopologyHostDto;

/** 100 hosts over 4 clouds in 2 datacenters, 10 instances each (one with none, one with 3). */
function big() {
  const clouds = [cloud("a", "dc1"), cloud("b", "dc1"), cloud("c", "dc2"), cloud("d", "dc2")];
  const count = (k: number) => (k === 5 ? 0 : k === 6 ? 3 : 10);
  const hosts = Array.from({ length: 100 }, (_, k) => host(`h${k}`, clouds[k % 4]!.id, { instanceCount: count(k) }));
  return { clouds, hosts, vpcs: [], subnets: [] };
}

type Box = { x: number; y: number; w: number; h: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe("the topology graph", () => {
  it("lays a cloud's hosts out by name, whatever order the server lists them in", () => {
    const a = cloud("a", "dc1");
    const names = ["h10", "h2", "h0", "h1"];
    const { nodes } = buildGraph({ clouds: [a], hosts: names.map((n) => host(n, a.id)), vpcs: [], subnets: [] });
    const placed = nodes
      .filter((n) => n.type === "host")
      .sort((p, q) => p.position.y - q.position.y || p.position.x - q.position.x)
      .map((n) => n.id);
    expect(placed).toEqual(["host_h0", "host_h1", "host_h2", "host_h10"]);
  });

  it("places 100 hosts inside their clouds without one covering another", () => {
    const { nodes } = buildGraph(big());
    const clouds = new Map(
      nodes.filter((n) => n.type === "cloud").map((n) => [n.id, { ...n.position, w: n.width!, h: n.height! }]),
    );
    const hosts = nodes.filter((n) => n.type === "host");
    expect(hosts).toHaveLength(100);
    // each host is as tall as the instances it counts (listed up to INST_SHOWN, then "+N more")
    expect(hosts.find((n) => n.id === "host_h5")?.height).toBe(hostHeight(0));
    expect(hosts.find((n) => n.id === "host_h6")?.height).toBe(hostHeight(3));
    expect(hosts.find((n) => n.id === "host_h7")?.height).toBe(hostHeight(10));
    expect(hostHeight(3)).toBeLessThan(hostHeight(10));
    const abs = hosts.map((n) => {
      const c = clouds.get(n.parentId!)!;
      const b = { x: c.x + n.position.x, y: c.y + n.position.y, w: n.width!, h: n.height! };
      expect(b.x + b.w).toBeLessThanOrEqual(c.x + c.w);
      expect(b.y + b.h).toBeLessThanOrEqual(c.y + c.h);
      expect(b.w).toBe(HOST_W);
      return b;
    });
    for (let i = 0; i < abs.length; i++)
      for (let j = i + 1; j < abs.length; j++) expect(overlap(abs[i]!, abs[j]!)).toBe(false);
    const cs = [...clouds.values()];
    for (let i = 0; i < cs.length; i++)
      for (let j = i + 1; j < cs.length; j++) expect(overlap(cs[i]!, cs[j]!)).toBe(false);
  });

  it("lays clouds out by datacenter and name, whatever order the server lists them in", () => {
    const { clouds, ...rest } = big();
    const place = (order: CloudDto[]) =>
      buildGraph({ ...rest, clouds: order })
        .nodes.filter((n) => n.type === "cloud")
        .map((n) => `${n.id}@${n.position.x},${n.position.y}`)
        .sort();
    const [a, b, c, d] = clouds as [CloudDto, CloudDto, CloudDto, CloudDto];
    expect(place([d, b, c, a])).toEqual(place([a, b, c, d]));
    const at = new Map(
      buildGraph({ ...rest, clouds: [d, b, c, a] })
        .nodes.filter((n) => n.type === "cloud")
        .map((n) => [n.id, n.position]),
    );
    // dc1 is the first column, a above b in it; dc2 to its right
    expect(at.get("cloud_a")!.x).toBe(0);
    expect(at.get("cloud_b")!.x).toBe(0);
    expect(at.get("cloud_a")!.y).toBeLessThan(at.get("cloud_b")!.y);
    expect(at.get("cloud_c")!.x).toBeGreaterThan(0);
  });

  it("draws the links between clouds with their state", () => {
    const clouds = [
      cloud("r1", "dc1"),
      cloud("g1", "dc2", "gateway"),
      cloud("g2", "dc3", "gateway"),
      cloud("g3", "dc4", "gateway"),
    ];
    const hosts = [
      host("r1-h", "cloud_r1", { status: "offline" }),
      host("g1-gw", "cloud_g1", { gatewayPublicAddress: "198.51.100.1" }),
      host("g2-gw", "cloud_g2", { gatewayPublicAddress: "198.51.100.2", status: "stale" }),
      host("g3-h", "cloud_g3"),
    ];
    const { edges } = buildGraph({ clouds, hosts, vpcs: [], subnets: [] });
    const state = Object.fromEntries(edges.map((e) => [e.id, e.className]));
    expect(state).toEqual({
      "link-fabric-r1": "link down",
      "link-g1-g2": "link down",
      "link-g1-g3": "link no-gateway",
      "link-g2-g3": "link no-gateway",
    });
    expect(edges.find((e) => e.id === "link-g1-g2")).toMatchObject({ source: "host_g1-gw", target: "host_g2-gw" });
    // a cloud without a gateway is an end without side handles (its node has none: the edge would not be drawn)
    const lonely = edges.find((e) => e.id === "link-g1-g3");
    expect([lonely?.source, lonely?.sourceHandle, lonely?.target, lonely?.targetHandle]).toEqual([
      "host_g1-gw",
      "side-out",
      "cloud_g3",
      undefined,
    ]);

    // with the console's summary: its state, RTT and MTU on the line, the reason in the accessible name
    const id = (n: string) => ({ cloudId: `cloud_${n}` as CloudLinkDto["a"]["cloudId"], name: n });
    const summary = (a: string, b: string, over: Partial<CloudLinkDto>): CloudLinkDto => ({
      a: id(a),
      b: id(b),
      mode: "encrypted",
      state: "encrypted",
      reason: null,
      rttMs: 0.84,
      pathMtu: 1500,
      tunnelMtu: 1500,
      tunnels: [],
      ...over,
    });
    const links = [
      summary("g1", "g2", {}),
      summary("g1", "g3", { state: "no-gateway", reason: "cloud g3 has no gateway host", rttMs: null, pathMtu: null }),
      summary("g2", "g3", { state: "down", reason: "gateway host g2-gw is offline (last heartbeat 4 min ago)" }),
    ];
    const drawn = buildGraph({ clouds, hosts, vpcs: [], subnets: [], links }).edges;
    const g1g2 = drawn.find((e) => e.id === "link-g1-g2");
    expect(g1g2).toMatchObject({ type: "cloudLink", className: "link encrypted" });
    expect(g1g2?.data).toEqual({
      state: "encrypted",
      label: "WireGuard · encrypted · 0.8 ms · MTU 1500",
      reason: null,
    });
    expect(g1g2?.ariaLabel).toBe(
      "Link between clouds g1 and g2: encrypted (WireGuard), round trip 0.8 ms, path MTU 1500",
    );
    const g2g3 = drawn.find((e) => e.id === "link-g2-g3");
    expect(g2g3).toMatchObject({ className: "link down", data: { state: "down" } });
    expect(g2g3?.ariaLabel).toBe(
      "Link between clouds g2 and g3: down: gateway host g2-gw is offline (last heartbeat 4 min ago)",
    );
    expect(drawn.find((e) => e.id === "link-g1-g3")?.data).toMatchObject({
      state: "no-gateway",
      reason: "cloud g3 has no gateway host",
    });
  });

  it("draws a trusted direct link as direct, not WireGuard, with a class of its own", () => {
    const clouds = [cloud("g1", "dc1", "gateway"), cloud("g2", "dc2", "gateway"), cloud("g3", "dc3", "gateway")];
    const hosts = [
      host("g1-gw", "cloud_g1", { gatewayPublicAddress: "198.51.100.1" }),
      host("g2-gw", "cloud_g2", { gatewayPublicAddress: "198.51.100.2" }),
      host("g3-h", "cloud_g3"),
    ];
    const id = (n: string) => ({ cloudId: `cloud_${n}` as CloudLinkDto["a"]["cloudId"], name: n });
    const links: CloudLinkDto[] = [
      {
        a: id("g1"),
        b: id("g2"),
        mode: "direct",
        state: "direct",
        reason: null,
        rttMs: null,
        pathMtu: null,
        tunnelMtu: null,
        tunnels: [],
      },
      {
        a: id("g1"),
        b: id("g3"),
        mode: "direct",
        state: "no-gateway",
        reason: "cloud g3 has no gateway host",
        rttMs: null,
        pathMtu: null,
        tunnelMtu: null,
        tunnels: [],
      },
    ];
    const { edges } = buildGraph({ clouds, hosts, vpcs: [], subnets: [], links });
    const direct = edges.find((e) => e.id === "link-g1-g2");
    expect(direct).toMatchObject({ type: "cloudLink", className: "link direct" });
    expect(direct?.data).toEqual({ state: "direct", label: "direct · trusted, not encrypted", reason: null });
    expect(direct?.ariaLabel).toBe(
      "Link between clouds g1 and g2: trusted direct (private interconnect, not encrypted)",
    );
    // declared direct but a cloud has no gateway yet: it says both
    const lonely = edges.find((e) => e.id === "link-g1-g3");
    expect(lonely).toMatchObject({ className: "link no-gateway" });
    expect(lonely?.data).toMatchObject({ label: "direct · no gateway host", reason: "cloud g3 has no gateway host" });
    expect(lonely?.ariaLabel).toBe(
      "Link between clouds g1 and g3: no gateway host: cloud g3 has no gateway host (declared a trusted direct link)",
    );
    // a link the console has not summarized yet is WireGuard's, the default
    expect(
      buildGraph({ clouds, hosts, vpcs: [], subnets: [] }).edges.find((e) => e.id === "link-g1-g2")?.data,
    ).toMatchObject({ label: "WireGuard · down" });
  });

  it("draws plugged and partial group pairs as edges, leaving unplugged ones out", () => {
    const matrix = {
      vpcId: "vpc_1",
      groups: [
        { id: "grp_w", name: "web", effectiveMemberIds: ["inst_1"] },
        { id: "grp_d", name: "db", effectiveMemberIds: [] },
      ],
      cells: [
        { srcGroupId: "grp_w", dstGroupId: "grp_d", state: "partial", ruleIds: [], deniedBy: ["deny_1"] },
        { srcGroupId: "grp_d", dstGroupId: "grp_w", state: "unplugged", ruleIds: [], deniedBy: [] },
        { srcGroupId: "grp_w", dstGroupId: "grp_w", state: "plugged", ruleIds: [], deniedBy: [] },
      ],
    } as unknown as MatrixDto;
    const { nodes, edges } = buildGraph({
      clouds: [cloud("a", "dc1")],
      hosts: [],
      vpcs: [],
      subnets: [],
      matrix,
    });
    expect(edges.filter((e) => e.id.startsWith("plug-")).map((e) => [e.id, e.label])).toEqual([
      ["plug-web-db", "partial · deny"],
    ]);
    expect(nodes.find((n) => n.id === "group-grp_w")?.data).toMatchObject({ members: 1, self: "plugged" });
  });
});
