import { Action, EthType, FlowModFlags, Instruction, Port } from "@nvi/openflow";
import type { FlowSpec } from "../flow.ts";
import { cookieFor, PRIORITY, STAGES, taggedCookie } from "../tables.ts";
import {
  blockMatch,
  PairServices,
  PairSide,
  PairTiming,
  pairFlows,
  pairTag,
  sameSegment,
  UNDERLAY_DSCP,
} from "./flows.ts";
import type { FabricHost, GatewayPort, Inventory } from "./model.ts";

/**
 * Pairs across clouds (README "Across clouds"): host → local gateway → remote gateway → host.
 * Inside each cloud the pair is today's rewrite with the remote instance seen as an instance of the
 * local gateway at a gateway lease N_G(X) (an address of G's block); between the gateways the VEBs
 * hand N_G1(A) → N_G2(B) to the gateway's stack, which carries it in WireGuard. Pure builders.
 */

export type GatewayHost = FabricHost & { gateway: GatewayPort };

/** Both hosts declare a cloud and they differ: their underlays do not route each other's blocks. */
export function crossCloud(a: FabricHost, b: FabricHost): boolean {
  return a.cloud !== undefined && b.cloud !== undefined && a.cloud !== b.cloud;
}

/** The cloud's gateway hosts, by datapath id. */
export function gatewaysOf(inventory: Inventory, cloud: string | undefined): GatewayHost[] {
  if (cloud === undefined) return [];
  return inventory
    .hosts()
    .filter((h): h is GatewayHost => h.cloud === cloud && h.gateway !== undefined)
    .sort((x, y) => (x.datapathId < y.datapathId ? -1 : 1));
}

/** FNV-1a, 32 bits: a stable rank of a (pair, gateway) couple. */
function rank(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The gateway a pair uses in a cloud (README "Several gateways per cloud"): among the cloud's
 * gateways whose VEB is up, the one that ranks highest for the pair's key (rendezvous hashing:
 * pairs spread over the gateways, and when one goes down only its pairs move, to the others; when
 * it is back they return). With none up, among all (a setup then waits for a VEB anyway).
 */
export function gatewayFor(
  inventory: Inventory,
  cloud: string | undefined,
  pairKey: string,
  up: (datapathId: bigint) => boolean,
): GatewayHost | undefined {
  return rankedGateways(inventory, cloud, pairKey, up)[0];
}

/** The cloud's gateways up (all of them when none is), best first for the pair. */
function rankedGateways(
  inventory: Inventory,
  cloud: string | undefined,
  pairKey: string,
  up: (datapathId: bigint) => boolean,
): GatewayHost[] {
  const all = gatewaysOf(inventory, cloud);
  const live = all.filter((g) => up(g.datapathId));
  return (live.length > 0 ? live : all)
    .map((g) => ({ g, r: rank(`${pairKey}|${g.datapathId}`) }))
    .sort((x, y) => y.r - x.r)
    .map((x) => x.g);
}

/**
 * The two gateways a pair across clouds goes through, one of each cloud. Each cloud's own choice
 * (`gatewayFor`) unless the link between those two is down (a partial cut: both keep other links);
 * then the couple with a link up that strays least from the two choices, ties broken by the pair's
 * rank of the couple (the same from either end, so a pair read from b's side picks the same). With
 * no link up anywhere, the two choices (the setup then waits, as for a gateway that is down).
 */
export function gatewayCouple(
  inventory: Inventory,
  clouds: [string | undefined, string | undefined],
  pairKey: string,
  up: (datapathId: bigint) => boolean,
  linkUp: (a: bigint, b: bigint) => boolean,
): [GatewayHost, GatewayHost] | undefined {
  const [as, bs] = clouds.map((c) => rankedGateways(inventory, c, pairKey, up)) as [GatewayHost[], GatewayHost[]];
  if (as.length === 0 || bs.length === 0) return undefined;
  let best: [GatewayHost, GatewayHost] = [as[0]!, bs[0]!];
  let bestCost = Infinity;
  let bestRank = -1;
  as.forEach((ga, i) =>
    bs.forEach((gb, j) => {
      const [x, y] = [ga.datapathId, gb.datapathId];
      if (!linkUp(x, y)) return;
      const r = rank(`${pairKey}|${x < y ? `${x}|${y}` : `${y}|${x}`}`);
      if (i + j < bestCost || (i + j === bestCost && r > bestRank)) [best, bestCost, bestRank] = [[ga, gb], i + j, r];
    }),
  );
  return best;
}

/**
 * What a gateway VEB holds on top of the host pipeline: mapped traffic for an address of its block
 * sent to it on the fabric, and what its stack hands back from the tunnel for its block, go on to the
 * pair flows; anything from the tunnel that no pair matches drops (a gateway never asks the TSC).
 */
export function gatewayPipeline(host: FabricHost): FlowSpec[] {
  const gw = host.gateway;
  if (!gw) return [];
  const cookie = cookieFor("PIPELINE", 0);
  const toForward: Instruction[] = [{ type: "gotoTable", tableId: STAGES.FORWARD.table }];
  return [
    {
      tableId: STAGES.PORT_SECURITY.table,
      priority: PRIORITY.GATEWAY,
      match: {
        inPort: host.fabricPort,
        ethDst: host.fabricMac,
        vlanVid: 0,
        ethType: EthType.IPV4,
        ...blockMatch(host.instanceBlock, "ipv4Dst"),
      },
      instructions: toForward,
      cookie,
    },
    {
      tableId: STAGES.PORT_SECURITY.table,
      priority: PRIORITY.GATEWAY,
      match: {
        inPort: gw.tunnelPort,
        ethSrc: gw.stackMac,
        ethDst: gw.tunnelMac,
        vlanVid: 0,
        ethType: EthType.IPV4,
        ...blockMatch(host.instanceBlock, "ipv4Dst"),
      },
      instructions: toForward,
      cookie,
    },
    {
      tableId: STAGES.FORWARD.table,
      priority: PRIORITY.GUARD,
      match: { inPort: gw.tunnelPort },
      instructions: [],
      cookie,
    },
  ];
}

/**
 * A gateway lease written down on the gateway's VEB, so a restarted TSC reads it back (as an
 * instance's LEASE flow is): endpoint X's lease N_G(X) as a flow that no packet can hit (table 0
 * matching metadata = X's host datapath id, which is 0 for every packet entering the pipeline),
 * cookie kind GATEWAY_LEASE tagged with X's OpenFlow port. It forwards nothing.
 */
export function gatewayLeaseFlow(e: { datapathId: bigint; port: number }, address: string): FlowSpec {
  return {
    tableId: STAGES.PORT_SECURITY.table,
    priority: PRIORITY.MISS,
    match: { metadata: e.datapathId, ethType: EthType.IPV4, ipv4Dst: address },
    instructions: [],
    cookie: taggedCookie("GATEWAY_LEASE", e.port),
  };
}

/** The four gateway leases of a pair (a, b) across clouds: each instance as seen at each gateway. */
export interface GatewayLeases {
  aAtGa: string;
  bAtGa: string;
  aAtGb: string;
  bAtGb: string;
}

const set = (field: "ethSrc" | "ethDst" | "ipv4Src" | "ipv4Dst", value: string): Action => ({
  type: "setField",
  field,
  value,
});

/**
 * The flows of pair (a, b) whose hosts are in different clouds, per datapath: on a's and b's hosts
 * today's pair flows towards the peer's gateway lease; on each gateway one flow from the cloud into
 * the tunnel and one from the tunnel into the cloud per direction. Services shape the endpoints'
 * VEBs only (the gateways are stateless). Neither endpoint may sit on its own cloud's gateway host
 * (not built: the caller refuses such a pair). `direct`: the two clouds are joined by a trusted
 * direct link (README "Trusted direct links"): the gateways hand N_Gs(s) → N_Gd(d) to each other
 * through their fabric NICs and routers, not through their stacks; nothing else changes.
 */
export function interCloudPairFlows(
  a: PairSide,
  b: PairSide,
  ga: GatewayHost,
  gb: GatewayHost,
  n: GatewayLeases,
  timing: PairTiming,
  services: PairServices,
  direct = false,
): Map<bigint, FlowSpec[]> {
  const cloudA = pairFlows(
    a,
    { endpoint: { ...b.endpoint, datapathId: ga.datapathId, fabricIp: n.bAtGa }, host: ga },
    timing,
    services,
  );
  const cloudB = pairFlows(
    { endpoint: { ...a.endpoint, datapathId: gb.datapathId, fabricIp: n.aAtGb }, host: gb },
    b,
    timing,
    services,
  );
  const base = {
    tableId: STAGES.FORWARD.table,
    priority: PRIORITY.ENDPOINT,
    cookie: taggedCookie("MAPPING", pairTag(a.endpoint.id, b.endpoint.id)),
    idleTimeout: timing.idleTimeout,
    flags: FlowModFlags.SEND_FLOW_REM,
  };
  const out = new Map<bigint, FlowSpec[]>([
    [a.host.datapathId, cloudA.get(a.host.datapathId) ?? []],
    [b.host.datapathId, cloudB.get(b.host.datapathId) ?? []],
    [ga.datapathId, []],
    [gb.datapathId, []],
  ]);
  const add = (dpid: bigint, f: FlowSpec): void => void out.get(dpid)?.push(f);
  // one direction s → d: s's gateway takes it from s's cloud into the tunnel, d's gateway from the tunnel into d's cloud
  const direction = (
    s: PairSide,
    d: PairSide,
    gs: GatewayHost,
    gd: GatewayHost,
    l: { sAtGs: string; dAtGs: string; sAtGd: string; dAtGd: string },
  ): void => {
    // between the gateways: into gs's stack (WireGuard), or on a direct link back out of the fabric NIC it
    // came in by, to gs's router (OpenFlow sends to the ingress port only as IN_PORT)
    const [srcMac, dstMac, port] = direct
      ? [gs.fabricMac, gs.gatewayMac, Port.IN_PORT]
      : [gs.gateway.tunnelMac, gs.gateway.stackMac, gs.gateway.tunnelPort];
    const arrival = direct
      ? { inPort: gd.fabricPort, ethSrc: gd.gatewayMac }
      : { inPort: gd.gateway.tunnelPort, ethSrc: gd.gateway.stackMac };
    add(gs.datapathId, {
      ...base,
      match: {
        inPort: gs.fabricPort,
        ethSrc: sameSegment(s.host, gs) ? s.host.fabricMac : gs.gatewayMac,
        ethType: EthType.IPV4,
        ipv4Src: s.endpoint.fabricIp,
        ipv4Dst: l.dAtGs,
      },
      instructions: [
        {
          type: "applyActions",
          actions: [
            set("ipv4Src", l.sAtGs),
            set("ipv4Dst", l.dAtGd),
            set("ethSrc", srcMac),
            set("ethDst", dstMac),
            { type: "setField", field: "ipDscp", value: UNDERLAY_DSCP },
            { type: "output", port },
          ],
        },
      ],
    });
    add(gd.datapathId, {
      ...base,
      match: {
        ...arrival,
        ethType: EthType.IPV4,
        ipv4Src: l.sAtGs,
        ipv4Dst: l.dAtGd,
      },
      instructions: [
        {
          type: "applyActions",
          actions: [
            set("ipv4Src", l.sAtGd),
            set("ipv4Dst", d.endpoint.fabricIp),
            set("ethSrc", gd.fabricMac),
            set("ethDst", sameSegment(gd, d.host) ? d.host.fabricMac : gd.gatewayMac),
            { type: "setField", field: "ipDscp", value: UNDERLAY_DSCP },
            { type: "output", port: direct ? Port.IN_PORT : gd.fabricPort },
          ],
        },
      ],
    });
  };
  direction(a, b, ga, gb, { sAtGs: n.aAtGa, dAtGs: n.bAtGa, sAtGd: n.aAtGb, dAtGd: n.bAtGb });
  direction(b, a, gb, ga, { sAtGs: n.bAtGb, dAtGs: n.aAtGb, sAtGd: n.bAtGa, dAtGd: n.aAtGa });
  return out;
}
