import { Action, EthType, FlowModFlags, Instruction, Port } from "@nvi/openflow";
import { FlowSpec, type MeterSpec } from "../flow.ts";
import { VEB_MAC, type Service } from "@nvi/contracts";
import { ANY, isAny } from "@nvi/policy";
import { cookieFor, CT, PRIORITY, STAGES, taggedCookie } from "../tables.ts";
import { FabricEndpoint, FabricHost, vpcTag } from "./model.ts";

/**
 * Pure flow builders of the NVI mapping (routed per-instance fabric addresses, see README):
 * the per-host pipeline the TSC keeps in sync, and the per-pair flows it installs reactively.
 */

/** The MAC every VEB answers ARP with and writes as source towards its instances (declared in contracts: traces start from it too). */
export { VEB_MAC };
const MULTICAST = { ethDst: "01:00:00:00:00:00", ethDstMask: "01:00:00:00:00:00" } as const;

const goto = (stage: { table: number }): Instruction => ({ type: "gotoTable", tableId: stage.table });
const apply = (...actions: Action[]): Instruction[] => [{ type: "applyActions", actions }];
const set = (field: "ethSrc" | "ethDst" | "ipv4Src" | "ipv4Dst", value: string): Action => ({
  type: "setField",
  field,
  value,
});

/**
 * OXM VLAN_VID = OFPVID_NONE (0, no mask): the frame carries no 802.1Q/802.1ad header. Every flow
 * that admits an instance's frame, or a mapped frame from the fabric, matches it, so a tagged frame
 * (any VID, priority-tagged VID 0, stacked tags) matches nothing and drops at table 0.
 */
export const UNTAGGED = { vlanVid: 0 } as const;

/** DSCP a mapped packet carries on the underlay unless its VPC sets another (what the tenant set never leaves the host). */
export const UNDERLAY_DSCP = 0;

export interface LeasedEndpoint extends FabricEndpoint {
  /** the fabric address leased to this endpoint */
  fabricIp: string;
}

/**
 * Everything one VEB holds proactively: host plumbing (host stack <-> fabric NIC), port security,
 * ARP answers for the gateway and in-VPC peers, fabric-address leases, and the guards/misses.
 * `arpTargets(e)` lists the addresses endpoint `e` may resolve (its gateway, its VPC peers).
 */
export function hostPipeline(
  host: FabricHost,
  local: readonly LeasedEndpoint[],
  arpTargets: (e: FabricEndpoint) => string[],
): FlowSpec[] {
  const cookie = cookieFor("PIPELINE", 0);
  const fab = host.fabricPort;
  const S = STAGES;
  const flows: FlowSpec[] = [
    // table 0: classify. Host plumbing first (lowest useful priority), then leases and instances.
    { tableId: S.PORT_SECURITY.table, priority: PRIORITY.MISS, match: {}, instructions: [], cookie },
    {
      tableId: S.PORT_SECURITY.table,
      priority: PRIORITY.PLUMBING,
      match: { inPort: Port.LOCAL },
      instructions: apply({ type: "output", port: fab }),
      cookie,
    },
    // the host's own stack never speaks from its instance block (a host routing forged instance traffic stops here)
    {
      tableId: S.PORT_SECURITY.table,
      priority: PRIORITY.GUARD,
      match: { inPort: Port.LOCAL, ethType: EthType.IPV4, ...blockMatch(host.instanceBlock, "ipv4Src") },
      instructions: [],
      cookie,
    },
    {
      tableId: S.PORT_SECURITY.table,
      priority: PRIORITY.GUARD,
      match: { inPort: Port.LOCAL, ethType: EthType.ARP, ...blockMatch(host.instanceBlock, "arpSpa") },
      instructions: [],
      cookie,
    },
    {
      tableId: S.PORT_SECURITY.table,
      priority: PRIORITY.PLUMBING,
      match: { inPort: fab, ethDst: host.fabricMac },
      instructions: apply({ type: "output", port: Port.LOCAL }),
      cookie,
    },
    {
      tableId: S.PORT_SECURITY.table,
      priority: PRIORITY.PLUMBING,
      match: { inPort: fab, ...MULTICAST },
      instructions: apply({ type: "output", port: Port.LOCAL }),
      cookie,
    },
    // mapped traffic for an address of this host's block that is not leased (any more): never to the host stack
    {
      tableId: S.PORT_SECURITY.table,
      priority: PRIORITY.DEFAULT,
      match: { inPort: fab, ethType: EthType.IPV4, ...blockMatch(host.instanceBlock, "ipv4Dst") },
      instructions: [],
      cookie,
    },
    // table 1: ARP answered by flows only; anything not answered (replies, gratuitous, unknown targets) drops
    { tableId: S.ARP_RESPONDER.table, priority: PRIORITY.MISS, match: {}, instructions: [], cookie },
    // table 3: replies checked by conntrack; anything else drops
    { tableId: S.REPLY.table, priority: PRIORITY.MISS, match: {}, instructions: [], cookie },
    // table 2: pairs (reactive), then guards, then the TSC decides (default deny)
    { tableId: S.FORWARD.table, priority: PRIORITY.GUARD, match: { inPort: fab }, instructions: [], cookie },
    { tableId: S.FORWARD.table, priority: PRIORITY.GUARD, match: { ...MULTICAST }, instructions: [], cookie },
    {
      tableId: S.FORWARD.table,
      priority: PRIORITY.MISS,
      match: {},
      instructions: apply({ type: "output", port: Port.CONTROLLER }),
      cookie,
    },
  ];
  for (const e of local) {
    flows.push(
      {
        tableId: S.PORT_SECURITY.table,
        priority: PRIORITY.ENDPOINT,
        match: { inPort: e.port, ethSrc: e.mac, ...UNTAGGED, ethType: EthType.IPV4, ipv4Src: e.ipv4 },
        instructions: [goto(S.FORWARD)],
        cookie,
      },
      {
        tableId: S.PORT_SECURITY.table,
        priority: PRIORITY.ENDPOINT,
        match: {
          inPort: e.port,
          ethSrc: e.mac,
          ...UNTAGGED,
          ethType: EthType.ARP,
          arpOp: 1,
          arpSpa: e.ipv4,
          arpSha: e.mac,
        },
        instructions: [goto(S.ARP_RESPONDER)],
        cookie,
      },
      // its new conversations reach the TSC through its own meter: a flooding port is cut at the switch
      {
        tableId: S.FORWARD.table,
        priority: PRIORITY.PORT_MISS,
        match: { inPort: e.port },
        instructions: [
          { type: "meter", meterId: portMeterId(e.port) },
          ...apply({ type: "output", port: Port.CONTROLLER }),
        ],
        cookie,
      },
      // the lease: mapped traffic to this endpoint's fabric address, untagged and sent to this host's
      // fabric MAC, goes on to the pair flows (which check who sent it)
      {
        tableId: S.PORT_SECURITY.table,
        priority: PRIORITY.ENDPOINT,
        match: { inPort: fab, ethDst: host.fabricMac, ...UNTAGGED, ethType: EthType.IPV4, ipv4Dst: e.fabricIp },
        instructions: [goto(S.FORWARD)],
        cookie: taggedCookie("LEASE", e.port),
      },
    );
    for (const target of new Set(arpTargets(e))) {
      if (target === e.ipv4) continue;
      flows.push({
        tableId: S.ARP_RESPONDER.table,
        priority: PRIORITY.ENDPOINT,
        match: { inPort: e.port, ethType: EthType.ARP, arpOp: 1, arpTpa: target },
        instructions: apply(
          { type: "setField", field: "ethDst", value: e.mac },
          { type: "setField", field: "ethSrc", value: VEB_MAC },
          { type: "setField", field: "arpOp", value: 2 },
          { type: "setField", field: "arpSha", value: VEB_MAC },
          { type: "setField", field: "arpSpa", value: target },
          { type: "setField", field: "arpTha", value: e.mac },
          { type: "setField", field: "arpTpa", value: e.ipv4 },
          { type: "output", port: Port.IN_PORT },
        ),
        cookie,
      });
    }
  }
  return flows;
}

/** The meter of an instance port's packet-ins: its OpenFlow port number (unique per VEB, below OFPP_MAX). */
export const portMeterId = (port: number): number => port;

/** One packet-in meter per local instance port (what `hostPipeline`'s per-port misses name). */
export function portMeters(local: readonly FabricEndpoint[], rate: { perSecond: number; burst: number }): MeterSpec[] {
  return local.map((e) => ({ meterId: portMeterId(e.port), perSecond: rate.perSecond, burst: rate.burst }));
}

/**
 * A VEB the TSC knows nothing about yet (its agent has not reported its fabric): only the host's
 * own traffic passes (host stack ↔ fabric NIC, OpenFlow port 1 by the agent's convention), so the
 * host can reach the console and report; instance ports get nothing (default deny).
 */
export function bootstrapPipeline(fabricPort = 1): FlowSpec[] {
  const cookie = cookieFor("PIPELINE", 0);
  return [
    { tableId: STAGES.PORT_SECURITY.table, priority: PRIORITY.MISS, match: {}, instructions: [], cookie },
    {
      tableId: STAGES.PORT_SECURITY.table,
      priority: PRIORITY.PLUMBING,
      match: { inPort: Port.LOCAL },
      instructions: apply({ type: "output", port: fabricPort }),
      cookie,
    },
    {
      tableId: STAGES.PORT_SECURITY.table,
      priority: PRIORITY.PLUMBING,
      match: { inPort: fabricPort },
      instructions: apply({ type: "output", port: Port.LOCAL }),
      cookie,
    },
  ];
}

/** `cidr` as a masked match on `field` (an IPv4-valued OXM field with a mask). */
export function blockMatch(cidr: string, field: "ipv4Dst" | "ipv4Src" | "arpSpa"): FlowSpec["match"] {
  const [ip, len] = cidr.split("/");
  const prefix = Number(len);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { [field]: ip ?? "0.0.0.0", [`${field}Mask`]: [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join(".") };
}

/** True when both hosts sit on the same fabric segment (so the next hop is the peer host itself). */
export function sameSegment(a: FabricHost, b: FabricHost): boolean {
  const net = (h: FabricHost): string => {
    const m = blockMatch(`${h.fabricIp}/${h.fabricPrefixLen}`, "ipv4Dst");
    const ip = h.fabricIp.split(".").map(Number);
    const mask = (m.ipv4DstMask ?? "").split(".").map(Number);
    return ip.map((o, i) => o & (mask[i] ?? 0)).join(".") + `/${h.fabricPrefixLen}`;
  };
  return a.fabricPrefixLen === b.fabricPrefixLen && net(a) === net(b);
}

export interface PairSide {
  endpoint: LeasedEndpoint;
  host: FabricHost;
}

export interface PairTiming {
  /** seconds without a packet before a pair flow expires (0 = never) */
  idleTimeout: number;
}

/** What each side of a pair may open towards the other (canonical service sets; `ANY` both ways = no conntrack at all). */
export interface PairServices {
  ab: readonly Service[];
  ba: readonly Service[];
  /** the DSCP each direction carries on the underlay (its source VPC's setting; absent = `UNDERLAY_DSCP`) */
  dscp?: { ab: number; ba: number };
}

const BOTH_ANY: PairServices = { ab: ANY, ba: ANY };

/** A stable 32-bit tag for a pair, carried in the cookie of every flow installed for it (revocation deletes by it). */
export function pairTag(a: string, b: string): number {
  return vpcTag(a < b ? `${a}|${b}` : `${b}|${a}`);
}

/** `[from, to]` as value/mask prefixes (what an exact-or-masked `tcp_dst` can match). */
export function portMasks(from: number, to: number): { value: number; mask: number }[] {
  const out: { value: number; mask: number }[] = [];
  let lo = from;
  while (lo <= to) {
    let size = 1;
    while ((lo & (size * 2 - 1)) === 0 && lo + size * 2 - 1 <= to && size < 0x10000) size *= 2;
    out.push({ value: lo, mask: 0xffff & ~(size - 1) });
    lo += size;
  }
  return out;
}

const PROTO = { icmp: 1, tcp: 6, udp: 17 } as const;

/** The matches (protocol, destination ports) one service set needs; [{}] for "any". */
function serviceMatches(services: readonly Service[]): FlowSpec["match"][] {
  return services.flatMap((sv): FlowSpec["match"][] => {
    if (sv.protocol === "any") return [{}];
    const ipProto = PROTO[sv.protocol];
    if (sv.protocol === "icmp" || sv.ports.length === 0) return [{ ipProto }];
    const field = sv.protocol === "tcp" ? "tcpDst" : "udpDst";
    return sv.ports.flatMap((r) =>
      portMasks(r.from, r.to).map((m) => ({
        ipProto,
        [field]: m.value,
        ...(m.mask === 0xffff ? {} : { [`${field}Mask`]: m.mask }),
      })),
    );
  });
}

/**
 * The flows that let `a` and `b` talk, per datapath. Same host: MAC rewrite only. Different hosts:
 * each side rewrites MACs and addresses to fabric ones and outputs to the fabric NIC; the peer's VEB
 * rewrites them back. Zero bytes added; ports and ICMP ids pass untouched.
 *
 * With `services` narrower than anything-both-ways, each direction s → d carries only what s may
 * open (protocol/port matches, priority SERVICE); the receiving VEB commits what it delivers to d
 * into conntrack zone d.port, so d's replies (+est+rpl, or +rel) pass through the REPLY table and
 * nothing else of d's does. Everything else of the pair drops on the sender's VEB.
 */
export function pairFlows(
  a: PairSide,
  b: PairSide,
  timing: PairTiming,
  services: PairServices = BOTH_ANY,
): Map<bigint, FlowSpec[]> {
  const cookie = taggedCookie("MAPPING", pairTag(a.endpoint.id, b.endpoint.id));
  const base = {
    tableId: STAGES.FORWARD.table,
    priority: PRIORITY.ENDPOINT,
    cookie,
    idleTimeout: timing.idleTimeout,
    flags: FlowModFlags.SEND_FLOW_REM,
  };
  const out = new Map<bigint, FlowSpec[]>();
  const add = (dpid: bigint, f: FlowSpec): void => void out.set(dpid, [...(out.get(dpid) ?? []), f]);
  const sameHost = a.host.datapathId === b.host.datapathId;
  for (const [s, d, opens, answers, dscp] of [
    [a, b, services.ab, services.ba, services.dscp?.ab ?? UNDERLAY_DSCP],
    [b, a, services.ba, services.ab, services.dscp?.ba ?? UNDERLAY_DSCP],
  ] as const) {
    // d's own sending is checked (not "any"): what reaches d is committed so that d's replies are known
    const commit: Action[] = isAny(answers) ? [] : [{ type: "ct", commit: true, force: false, zone: d.endpoint.port }];
    const nextHop = sameSegment(s.host, d.host) ? d.host.fabricMac : s.host.gatewayMac;
    const forward: Action[] = sameHost
      ? [set("ethSrc", VEB_MAC), set("ethDst", d.endpoint.mac), ...commit, { type: "output", port: d.endpoint.port }]
      : [
          set("ethSrc", s.host.fabricMac),
          set("ethDst", nextHop),
          set("ipv4Src", s.endpoint.fabricIp),
          set("ipv4Dst", d.endpoint.fabricIp),
          { type: "setField", field: "ipDscp", value: dscp },
          { type: "output", port: s.host.fabricPort },
        ];
    const egress = {
      inPort: s.endpoint.port,
      ethType: EthType.IPV4,
      ipv4Src: s.endpoint.ipv4,
      ipv4Dst: d.endpoint.ipv4,
    };
    if (isAny(opens)) add(s.host.datapathId, { ...base, match: egress, instructions: apply(...forward) });
    else {
      for (const m of serviceMatches(opens))
        add(s.host.datapathId, {
          ...base,
          priority: PRIORITY.SERVICE,
          match: { ...egress, ...m },
          instructions: apply(...forward),
        });
      if (answers.length > 0) {
        // anything else s sends d may only be a reply to what d opened: conntrack decides in REPLY
        add(s.host.datapathId, {
          ...base,
          match: egress,
          instructions: apply({
            type: "ct",
            commit: false,
            force: false,
            zone: s.endpoint.port,
            table: STAGES.REPLY.table,
          }),
        });
        for (const state of [CT.TRK | CT.EST | CT.RPL, CT.TRK | CT.REL]) {
          add(s.host.datapathId, {
            ...base,
            tableId: STAGES.REPLY.table,
            match: { ...egress, ctState: state, ctStateMask: state | CT.INV },
            instructions: apply(...forward),
          });
        }
      } else add(s.host.datapathId, { ...base, match: egress, instructions: [] });
    }
    if (sameHost) continue;
    // ingress on the receiver's VEB, from the one MAC s's packets arrive with: s's host on the same
    // segment, else the receiving segment's router (another host of the segment forging s's fabric
    // address does not pass)
    add(d.host.datapathId, {
      ...base,
      match: {
        inPort: d.host.fabricPort,
        ethSrc: sameSegment(s.host, d.host) ? s.host.fabricMac : d.host.gatewayMac,
        ethType: EthType.IPV4,
        ipv4Src: s.endpoint.fabricIp,
        ipv4Dst: d.endpoint.fabricIp,
      },
      instructions: apply(
        set("ethSrc", VEB_MAC),
        set("ethDst", d.endpoint.mac),
        set("ipv4Src", s.endpoint.ipv4),
        set("ipv4Dst", d.endpoint.ipv4),
        ...commit,
        { type: "output", port: d.endpoint.port },
      ),
    });
  }
  return out;
}

/** A short-lived drop for a denied conversation, so the tenant cannot keep the TSC busy with it (cookie: the source VPC's tag, so lifting is scoped). */
export function denyFlow(src: { port: number; ipv4: string; vpcId: string }, dstIp: string, seconds: number): FlowSpec {
  return {
    tableId: STAGES.FORWARD.table,
    priority: PRIORITY.DENY,
    match: { inPort: src.port, ethType: EthType.IPV4, ipv4Src: src.ipv4, ipv4Dst: dstIp },
    instructions: [],
    cookie: taggedCookie("DENY", vpcTag(src.vpcId)),
    hardTimeout: seconds,
  };
}

/** A port that sends too many new conversations: its misses drop for a moment (existing pairs still flow). */
export function rateLimitFlow(port: number, seconds: number): FlowSpec {
  return {
    tableId: STAGES.FORWARD.table,
    priority: PRIORITY.RATE_LIMIT,
    match: { inPort: port },
    instructions: [],
    cookie: taggedCookie("DENY", 1),
    hardTimeout: seconds,
  };
}
