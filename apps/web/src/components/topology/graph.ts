import type { CloudDto, CloudLinkDto, MatrixDto, SubnetDto, TopologyHostDto, VpcDto } from "@nvi/contracts";
import { cloudLinkText } from "../cloud-link-text.ts";
import { MarkerType, type Edge, type Node } from "@xyflow/react";

/**
 * The topology as React Flow nodes and edges, placed by hand (no layout engine: the shape is known):
 * datacenters are columns, their clouds stacked in them, each cloud's hosts in a grid inside it (each
 * sized for the instances it counts; the node fetches and lists them itself, see nodes.tsx), the
 * routed underlay above, the VPCs in a row below, and the selected VPC's policy groups in a column
 * on the right. Pure, so the geometry is unit-tested.
 */
export const HOST_W = 230;
export const HOST_HEAD = 58;
export const INST_ROW = 20;
/** instances listed in a host before "+N more" (which links to the Instances page) */
export const INST_SHOWN = 8;
const PAD = 16;
const CLOUD_HEAD = 56;
const GAP = 24;
const DC_GAP = 80;
const TOP = 150;
const GROUP_W = 200;

export const VPC_COLOURS = ["#2f6fed", "#b4399e", "#1f8a7a", "#c26a12", "#6b4fd8", "#4c8d2b"];

export type LinkState = "up" | "down" | "no-gateway";

/** What a link between two gateway clouds draws (CloudLinkEdge): its state and words, from `cloud.links`. */
export interface CloudLinkData extends Record<string, unknown> {
  state: CloudLinkDto["state"];
  /** the short label on the line: how it crosses (WireGuard or direct), state, RTT, MTU */
  label: string;
  /** the reason it is down or has no gateway, or null */
  reason: string | null;
}

export type TopoNode =
  | Node<{ kind: "fabric"; clouds: number; state: LinkState }, "fabric">
  | Node<{ kind: "cloud"; cloud: CloudDto; hosts: number; selected: boolean }, "cloud">
  | Node<{ kind: "host"; host: TopologyHostDto; vpcColour: Record<string, string> }, "host">
  | Node<{ kind: "vpc"; vpc: VpcDto; colour: string; subnets: SubnetDto[] }, "vpc">
  | Node<{ kind: "group"; name: string; groupId: string; members: number; self: string | null }, "group">;

export interface GraphInput {
  clouds: CloudDto[];
  /** from `topology.get`: each host with its instances counted, not listed */
  hosts: TopologyHostDto[];
  vpcs: VpcDto[];
  subnets: SubnetDto[];
  matrix?: MatrixDto | null;
  selectedClouds?: readonly string[];
  /** the console's summary of the links between gateway clouds (`cloud.links`); absent: not loaded yet */
  links?: readonly CloudLinkDto[];
}

export const hostHeight = (n: number) => HOST_HEAD + Math.min(n, INST_SHOWN + 1) * INST_ROW + 8;
const gridCols = (n: number) => (n <= 3 ? Math.max(1, n) : Math.min(5, Math.ceil(Math.sqrt(n))));

/** A cloud's hosts in rows of `gridCols`: each host's offset in the cloud, and the cloud's size. */
function gridOf(hosts: { id: string; height: number }[]) {
  const cols = gridCols(hosts.length);
  const at = new Map<string, { x: number; y: number }>();
  let y = CLOUD_HEAD;
  for (let r = 0; r * cols < hosts.length; r++) {
    const row = hosts.slice(r * cols, (r + 1) * cols);
    row.forEach((h, c) => at.set(h.id, { x: PAD + c * (HOST_W + GAP), y }));
    y += Math.max(...row.map((h) => h.height)) + GAP;
  }
  return { at, width: PAD * 2 + cols * HOST_W + (cols - 1) * GAP, height: Math.max(y, CLOUD_HEAD + 40) + PAD - GAP };
}

const byName = (x: string, y: string) => x.localeCompare(y, "en", { numeric: true });
/** Datacenters (region, then datacenter) left to right, each one's clouds by name top to bottom. */
const byPlace = (x: CloudDto, y: CloudDto) =>
  byName(x.region, y.region) || byName(x.datacenter, y.datacenter) || byName(x.name, y.name);

const linkLabel: Record<LinkState, string> = { up: "up", down: "down", "no-gateway": "no gateway host" };

export function buildGraph(g: GraphInput): { nodes: TopoNode[]; edges: Edge[] } {
  const nodes: TopoNode[] = [];
  const edges: Edge[] = [];
  const colour = Object.fromEntries(g.vpcs.map((v, i) => [v.id, VPC_COLOURS[i % VPC_COLOURS.length]!]));
  // the layout follows names, never the order the server lists clouds in (clouds created in one
  // statement share their creation time, and Postgres answers ties in any order): a reload keeps
  // every cloud where it was
  const byDc = new Map<string, CloudDto[]>();
  for (const c of [...g.clouds].sort(byPlace))
    byDc.set(`${c.region}/${c.datacenter}`, [...(byDc.get(`${c.region}/${c.datacenter}`) ?? []), c]);

  let x = 0;
  let bottom = TOP;
  const cloudBox = new Map<string, { x: number; y: number; w: number; h: number }>();
  for (const clouds of byDc.values()) {
    let y = TOP;
    let colW = 0;
    for (const cloud of clouds) {
      // hosts by name as well (the server lists them by enrollment, ties in any order): h000 first,
      // top left, and a reload or a re-enrolled host moves nobody
      const mine = g.hosts.filter((h) => h.cloudId === cloud.id).sort((p, q) => byName(p.name, q.name));
      const grid = gridOf(mine.map((h) => ({ id: h.id, height: hostHeight(h.instanceCount ?? 0) })));
      nodes.push({
        id: cloud.id,
        type: "cloud",
        position: { x, y },
        width: grid.width,
        height: grid.height,
        style: { width: grid.width, height: grid.height },
        data: {
          kind: "cloud",
          cloud,
          hosts: mine.length,
          selected: g.selectedClouds?.includes(cloud.id) ?? false,
        },
      });
      cloudBox.set(cloud.id, { x, y, w: grid.width, h: grid.height });
      for (const host of mine) {
        const at = grid.at.get(host.id)!;
        nodes.push({
          id: host.id,
          type: "host",
          parentId: cloud.id,
          extent: "parent",
          position: at,
          width: HOST_W,
          height: hostHeight(host.instanceCount ?? 0),
          data: { kind: "host", host, vpcColour: colour },
        });
      }
      y += grid.height + GAP;
      colW = Math.max(colW, grid.width);
    }
    bottom = Math.max(bottom, y);
    x += colW + DC_GAP;
  }

  // links between clouds: the routed underlay (one fabric node above), gateways pairwise (WireGuard, or
  // a trusted direct link)
  const online = (cloudId: string) => g.hosts.some((h) => h.cloudId === cloudId && h.status === "online");
  const routed = g.clouds.filter((c) => c.interconnect === "routed");
  if (routed.length > 0) {
    nodes.push({
      id: "fabric",
      type: "fabric",
      position: { x: Math.max(0, x / 2 - 120), y: 0 },
      width: 240,
      height: 64,
      data: { kind: "fabric", clouds: routed.length, state: routed.some((c) => online(c.id)) ? "up" : "down" },
    });
    for (const c of routed) {
      const state: LinkState = online(c.id) ? "up" : "down";
      edges.push({
        id: `link-fabric-${c.name}`,
        source: "fabric",
        target: c.id,
        label: `routed · ${linkLabel[state]}`,
        className: `link ${state}`,
        selectable: false,
      });
    }
  }
  const gated = g.clouds.filter((c) => c.interconnect === "gateway").sort((x, y) => x.name.localeCompare(y.name));
  for (let i = 0; i < gated.length; i++)
    for (let j = i + 1; j < gated.length; j++) {
      const [a, b] = [gated[i]!, gated[j]!];
      const gwA = g.hosts.find((h) => h.cloudId === a.id && h.gatewayPublicAddress);
      const gwB = g.hosts.find((h) => h.cloudId === b.id && h.gatewayPublicAddress);
      const summary = g.links?.find(
        (l) => (l.a.cloudId === a.id && l.b.cloudId === b.id) || (l.a.cloudId === b.id && l.b.cloudId === a.id),
      );
      const text = cloudLinkText(
        summary ?? {
          state: !gwA || !gwB ? "no-gateway" : "down",
          reason: !gwA || !gwB ? "a cloud has no gateway host" : "no report from the console yet",
          rttMs: null,
          pathMtu: null,
        },
      );
      // the line names how pairs cross it: WireGuard between the gateways, or the trusted direct link
      const over = summary?.mode === "direct" ? "direct" : "WireGuard";
      const data: CloudLinkData = { state: text.state, label: `${over} · ${text.short}`, reason: text.reason };
      edges.push({
        id: `link-${a.name}-${b.name}`,
        type: "cloudLink",
        source: gwA?.id ?? a.id,
        target: gwB?.id ?? b.id,
        // a gateway host has side handles; a cloud without a gateway only its top and bottom ones (an
        // edge naming a handle its node lacks is not drawn at all)
        ...(gwA ? { sourceHandle: "side-out" } : {}),
        ...(gwB ? { targetHandle: "side-in" } : {}),
        className: `link ${text.state}`,
        selectable: false,
        data,
        ariaLabel: `Link between clouds ${a.name} and ${b.name}: ${text.long}`,
      });
    }

  // VPCs in a row under the clouds, an edge to each cloud a subnet puts them in
  let vx = 0;
  for (const vpc of g.vpcs) {
    const subnets = g.subnets.filter((s) => s.vpcId === vpc.id);
    nodes.push({
      id: vpc.id,
      type: "vpc",
      position: { x: vx, y: bottom + 60 },
      width: 260,
      height: 70,
      data: { kind: "vpc", vpc, colour: colour[vpc.id]!, subnets },
    });
    for (const s of subnets)
      if (cloudBox.has(s.cloudId))
        edges.push({
          id: `subnet-${s.id}`,
          source: s.cloudId,
          target: vpc.id,
          label: s.cidr,
          style: { stroke: colour[vpc.id], strokeDasharray: "5 4" },
          selectable: false,
        });
    vx += 260 + GAP;
  }

  // the selected VPC's groups, and its plugged pairs as edges (plug/unplug happen on them)
  if (g.matrix) {
    const groups = g.matrix.groups;
    groups.forEach((grp, k) => {
      const self = g.matrix!.cells.find((c) => c.srcGroupId === grp.id && c.dstGroupId === grp.id);
      nodes.push({
        id: `group-${grp.id}`,
        type: "group",
        position: { x: x + (k % 2) * (GROUP_W + 60), y: TOP + Math.floor(k / 2) * 120 + (k % 2) * 50 },
        width: GROUP_W,
        height: 64,
        data: {
          kind: "group",
          name: grp.name,
          groupId: grp.id,
          members: grp.effectiveMemberIds.length,
          self: self && self.state !== "unplugged" ? self.state : null,
        },
      });
    });
    const name = new Map<string, string>(groups.map((grp) => [grp.id, grp.name]));
    for (const c of g.matrix.cells)
      if (c.state !== "unplugged" && c.srcGroupId !== c.dstGroupId)
        edges.push({
          id: `plug-${name.get(c.srcGroupId)}-${name.get(c.dstGroupId)}`,
          source: `group-${c.srcGroupId}`,
          target: `group-${c.dstGroupId}`,
          sourceHandle: "plug-out",
          targetHandle: "plug-in",
          label: c.deniedBy.length ? `${c.state} · deny` : c.state,
          className: `plug ${c.state}`,
          markerEnd: { type: MarkerType.ArrowClosed },
          data: { srcGroupId: c.srcGroupId, dstGroupId: c.dstGroupId },
          ariaLabel: `${name.get(c.srcGroupId)} to ${name.get(c.dstGroupId)}: ${c.state}; activate to unplug`,
        });
  }
  return { nodes, edges };
}
