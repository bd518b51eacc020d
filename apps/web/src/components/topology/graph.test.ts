import type { CloudDto, HostDto, InstanceDto, MatrixDto } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { buildGraph, HOST_W } from "./graph.ts";

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
const host = (name: string, cloudId: string, o: Partial<HostDto> = {}) =>
  ({
    id: `host_${name}`,
    cloudId,
    name,
    status: "online",
    identity: { fabricAddress: null },
    gatewayPublicAddress: null,
    ...o,
  }) as HostDto;
const inst = (name: string, hostId: string) => ({ id: `inst_${name}`, name, hostId, vpcId: "vpc_1" }) as InstanceDto;

/** 100 hosts over 4 clouds in 2 datacenters, 10 instances each. */
function big() {
  const clouds = [cloud("a", "dc1"), cloud("b", "dc1"), cloud("c", "dc2"), cloud("d", "dc2")];
  const hosts = Array.from({ length: 100 }, (_, k) => host(`h${k}`, clouds[k % 4]!.id));
  const instances = hosts.flatMap((h) => Array.from({ length: 10 }, (_, j) => inst(`${h.name}-i${j}`, h.id)));
  return { clouds, hosts, instances, vpcs: [], subnets: [] };
}

type Box = { x: number; y: number; w: number; h: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe("the topology graph", () => {
  it("places 100 hosts inside their clouds without one covering another", () => {
    const { nodes } = buildGraph(big());
    const clouds = new Map(
      nodes.filter((n) => n.type === "cloud").map((n) => [n.id, { ...n.position, w: n.width!, h: n.height! }]),
    );
    const hosts = nodes.filter((n) => n.type === "host");
    expect(hosts).toHaveLength(100);
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
    const { edges } = buildGraph({ clouds, hosts, instances: [], vpcs: [], subnets: [] });
    const state = Object.fromEntries(edges.map((e) => [e.id, e.className]));
    expect(state).toEqual({
      "link-fabric-r1": "link down",
      "link-g1-g2": "link down",
      "link-g1-g3": "link no-gateway",
      "link-g2-g3": "link no-gateway",
    });
    expect(edges.find((e) => e.id === "link-g1-g2")).toMatchObject({ source: "host_g1-gw", target: "host_g2-gw" });
  });

  it("marks each inter-cloud link for e2e specs: cloud-link, encrypted when both gateways are online", () => {
    const clouds = [cloud("g1", "dc1", "gateway"), cloud("g2", "dc2", "gateway"), cloud("g3", "dc3", "gateway")];
    const hosts = [
      host("g1-gw", "cloud_g1", { gatewayPublicAddress: "198.51.100.1" }),
      host("g2-gw", "cloud_g2", { gatewayPublicAddress: "198.51.100.2" }),
      host("g3-h", "cloud_g3"),
    ];
    const { edges } = buildGraph({ clouds, hosts, instances: [], vpcs: [], subnets: [] });
    expect(Object.fromEntries(edges.map((e) => [e.id, e.domAttributes]))).toEqual({
      "link-g1-g2": { "data-testid": "cloud-link", "data-state": "encrypted" },
      "link-g1-g3": { "data-testid": "cloud-link", "data-state": "no-gateway" },
      "link-g2-g3": { "data-testid": "cloud-link", "data-state": "no-gateway" },
    });
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
      instances: [],
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
