import { ANY } from "@nvi/policy";
import { flowBody, flowKey, FlowSpec } from "../flow.ts";
import { cookieKind, cookieTag } from "../tables.ts";
import { denyFlow, LeasedEndpoint, pairFlows, PairServices, pairTag, UNDERLAY_DSCP } from "./flows.ts";
import { inBlock } from "./leases.ts";
import { crossCloud, gatewayCouple, gatewaysOf, interCloudPairFlows } from "./intercloud.ts";
import type { FabricEndpoint, FabricHost, Inventory, PairPolicy, Verdict } from "./model.ts";
import { parseIpv4 } from "./packet.ts";
import { ActivePair, pairKeyOf, signatureOf } from "./pair-book.ts";

/**
 * The mapping's decisions, beside the flow builders: who a first packet belongs to and whether it
 * may pass, which flows a pair should hold, whether a flow read back from a VEB is still what
 * policy implies. Functions of the view they are handed; none keeps state or talks to a switch.
 */

/** What the decisions read: the inventory, the fabric addresses, the policy. */
export interface MappingView {
  readonly inventory: Inventory;
  readonly policy: PairPolicy;
  /** seconds a pair flow lives without traffic */
  readonly idleTimeout: number;
  /** VPCs an endpoint of `vpcId` may be paired with (itself and its peerings) */
  reachableVpcs(vpcId: string): readonly string[];
  /** the endpoint with its fabric address (the next free one of its block once its host is read back) */
  leased(e: FabricEndpoint): LeasedEndpoint | undefined;
  /** the endpoint a fabric address is leased to */
  leaseHolder(address: string): string | undefined;
  /** the host's VEB has been read back since this TSC started */
  recovered(dpid: bigint): boolean;
  /** the TSC started moments ago: VEBs are still reconnecting (a pair across clouds waits for its clouds' gateways) */
  settling(): boolean;
  /** endpoint `endpointId` as seen at gateway `gw` (README "Across clouds"); undefined until the gateway is read back */
  gatewayLease(endpointId: string, gw: FabricHost): string | undefined;
  /** the lease gateway `gw` holds for the endpoint already, if any (judging never allocates one) */
  gatewayLeaseHeld(endpointId: string, gw: FabricHost): string | undefined;
  /** the gateway's VEB is connected to this TSC (a pair across clouds uses a gateway that is up) */
  readonly gatewayUp: (dpid: bigint) => boolean;
  /** no end of the link between these two gateways says it is down (tunnel-health.ts) */
  readonly linkUp: (a: bigint, b: bigint) => boolean;
}

export interface Pair {
  src: FabricEndpoint;
  dst: FabricEndpoint;
}

/** The endpoint holding `ipv4` in `src`'s VPC or a VPC peered with it. */
export function peerOf(view: MappingView, src: FabricEndpoint, ipv4: string): FabricEndpoint | undefined {
  for (const vpc of view.reachableVpcs(src.vpcId)) {
    const e = view.inventory.endpointInVpc(vpc, ipv4);
    if (e) return e;
  }
  return undefined;
}

/** What each side may open towards the other; undefined when neither may open anything. */
export function servicesOf(view: MappingView, a: FabricEndpoint, b: FabricEndpoint): PairServices | undefined {
  const sv = (v: Verdict) => (v.allowed ? (v.services ?? [...ANY]) : []);
  const [vab, vba] = [view.policy(a, b), view.policy(b, a)];
  const s = { ab: sv(vab), ba: sv(vba) };
  if (s.ab.length === 0 && s.ba.length === 0) return undefined;
  return vab.dscp === undefined && vba.dscp === undefined
    ? s
    : { ...s, dscp: { ab: vab.dscp ?? UNDERLAY_DSCP, ba: vba.dscp ?? UNDERLAY_DSCP } };
}

/**
 * The flows pair (a, b) should hold on each VEB now; undefined when it may not exist (or cannot yet).
 * `leases: "held"` (judging what a VEB holds) uses only the gateway leases already held: a flow read
 * back whose gateway lease is gone is stale, never matched by a lease handed out again in passing.
 */
export function expectedPairFlows(
  view: MappingView,
  a: FabricEndpoint,
  b: FabricEndpoint,
  leases: "allocate" | "held" = "allocate",
): Map<bigint, FlowSpec[]> | undefined {
  const ha = view.inventory.host(a.datapathId);
  const hb = view.inventory.host(b.datapathId);
  const la = view.leased(a);
  const lb = view.leased(b);
  const services = servicesOf(view, a, b);
  if (!ha || !hb || !la || !lb || !services) return undefined;
  const sa = { endpoint: la, host: ha };
  const sb = { endpoint: lb, host: hb };
  const timing = { idleTimeout: view.idleTimeout };
  if (!crossCloud(ha, hb)) return pairFlows(sa, sb, timing, services);
  const key = pairKeyOf(a, b);
  const couple = gatewayCouple(view.inventory, [ha.cloud, hb.cloud], key, view.gatewayUp, view.linkUp);
  if (!couple || interCloudProblem(view, a, b)) return undefined;
  const [ga, gb] = couple;
  const lease = (id: string, g: FabricHost) =>
    leases === "held" ? view.gatewayLeaseHeld(id, g) : view.gatewayLease(id, g);
  const aAtGa = lease(a.id, ga);
  const bAtGa = lease(b.id, ga);
  const aAtGb = lease(a.id, gb);
  const bAtGb = lease(b.id, gb);
  if (!aAtGa || !bAtGa || !aAtGb || !bAtGb) return undefined;
  const direct = view.inventory.directLink(ha.cloud, hb.cloud);
  return interCloudPairFlows(sa, sb, ga, gb, { aAtGa, bAtGa, aAtGb, bAtGb }, timing, services, direct);
}

/** Why a pair across clouds cannot be set up at all (no gateway, or an endpoint on its gateway host); null when it can, or is not across clouds. */
export function interCloudProblem(view: MappingView, a: FabricEndpoint, b: FabricEndpoint): string | null {
  const ha = view.inventory.host(a.datapathId);
  const hb = view.inventory.host(b.datapathId);
  if (!ha || !hb || !crossCloud(ha, hb)) return null;
  for (const [e, h] of [
    [a, ha],
    [b, hb],
  ] as const) {
    const gws = gatewaysOf(view.inventory, h.cloud);
    if (gws.length === 0) return `cloud ${h.cloud ?? "?"} has no gateway`;
    if (gws.some((g) => g.datapathId === h.datapathId))
      return `${e.id} is on its cloud's gateway host (not supported yet)`;
  }
  return null;
}

/** The endpoint is still bound where it was (not unplugged or moved while its pair was being set up). */
export function stillPlugged(inventory: Inventory, e: FabricEndpoint): boolean {
  const now = inventory.endpoint(e.id);
  return (
    now !== undefined &&
    now.datapathId === e.datapathId &&
    now.port === e.port &&
    now.ipv4 === e.ipv4 &&
    now.vpcId === e.vpcId
  );
}

/**
 * A pair that cannot be judged yet: an endpoint's host has not been read back (its fabric address is
 * not known; a gateway's flows name only gateway leases), or, across clouds while the TSC is still
 * settling after its start, a gateway of either cloud has not been read back (which gateways the
 * pair goes through, and its leases there, are not known). Judged once they are, or once settling
 * ends (`PendingJudgements`).
 */
function awaitsReadBack(view: MappingView, a: FabricEndpoint, b: FabricEndpoint): boolean {
  const [ha, hb] = [view.inventory.host(a.datapathId), view.inventory.host(b.datapathId)];
  if (!ha || !hb || !view.recovered(ha.datapathId) || !view.recovered(hb.datapathId)) return true;
  if (!crossCloud(ha, hb) || !view.settling()) return false;
  return [ha.cloud, hb.cloud].some((c) => gatewaysOf(view.inventory, c).some((g) => !view.recovered(g.datapathId)));
}

/**
 * Which pair a mapping flow serves: the endpoints, "unknown" while the host an address of it belongs
 * to is not read back yet, undefined if none. On a gateway, flows from the fabric or the tunnel name
 * gateway leases, read back from the gateways' GATEWAY_LEASE flows.
 */
export function pairOfFlow(view: MappingView, dpid: bigint, f: FlowSpec): Pair | "unknown" | undefined {
  const host = view.inventory.host(dpid);
  const m = f.match;
  if (!host || m.ipv4Src === undefined || m.ipv4Dst === undefined || m.inPort === undefined) return undefined;
  if (m.inPort !== host.fabricPort && m.inPort !== host.gateway?.tunnelPort) {
    const src = view.inventory.endpointAt(dpid, m.inPort);
    const dst = src && src.ipv4 === m.ipv4Src ? peerOf(view, src, m.ipv4Dst) : undefined;
    return src && dst ? { src, dst } : undefined;
  }
  const byFabric = (address: string): FabricEndpoint | "unknown" | undefined => {
    const owner = view.inventory.hosts().find((h) => inBlock(h.instanceBlock, address));
    if (!owner) return undefined;
    const holder = view.leaseHolder(address);
    if (holder === undefined) return view.recovered(owner.datapathId) ? undefined : "unknown";
    return view.inventory.endpoint(holder);
  };
  const src = byFabric(m.ipv4Src);
  const dst = byFabric(m.ipv4Dst);
  if (src === "unknown" || dst === "unknown") return "unknown";
  return src && dst ? { src, dst } : undefined;
}

/**
 * A mapping flow read back from a VEB: exactly what policy implies now, not (stale), or not judgeable
 * yet (`awaitsReadBack`). Never "unknown" for a flow that is not its pair's (the cookie's tag names
 * another pair: an instance re-plugged on the port with the same address while the TSC was away) or
 * for a pair the policy denies now: those go at once.
 */
export function judgeFlow(view: MappingView, f: FlowSpec, dpid: bigint): "current" | "stale" | "unknown" {
  const pair = pairOfFlow(view, dpid, f);
  if (pair === "unknown") return "unknown";
  if (!pair || cookieTag(f.cookie) !== pairTag(pair.src.id, pair.dst.id) || !servicesOf(view, pair.src, pair.dst))
    return "stale";
  if (awaitsReadBack(view, pair.src, pair.dst)) return "unknown";
  const expected = expectedPairFlows(view, pair.src, pair.dst, "held")?.get(dpid) ?? [];
  return expected.some((x) => flowKey(x) === flowKey(f) && flowBody(x) === flowBody(f)) ? "current" : "stale";
}

/** Resync keeps a mapping flow only while it is exactly what the pair would get now (or cannot be judged yet), and keeps short drops. */
export function keepOnResync(view: MappingView, f: FlowSpec, dpid: bigint): boolean {
  const kind = cookieKind(f.cookie);
  if (kind === "DENY") return true;
  if (kind !== "MAPPING") return false;
  return judgeFlow(view, f, dpid) !== "stale";
}

/** What a first packet (a FORWARD miss from an instance port) asks for. */
export type Conversation =
  | { kind: "ignore" }
  | { kind: "deny"; flow: FlowSpec; src: FabricEndpoint; dst: string; reason: string; peer?: FabricEndpoint }
  | { kind: "setup"; src: FabricEndpoint; dst: FabricEndpoint };

/**
 * A first packet: ignored unless it is IPv4 from the address bound to the port; denied (a short
 * drop on the sender's VEB) when it is addressed to the sender itself, when nobody holds the
 * destination in a reachable VPC or neither side may open anything; otherwise the pair is set up
 * (what src may not send drops on its VEB).
 */
export function judgeConversation(
  view: MappingView,
  dpid: bigint,
  inPort: number,
  frame: Uint8Array,
  denySeconds: number,
): Conversation {
  const pkt = parseIpv4(frame);
  const src = view.inventory.endpointAt(dpid, inPort);
  if (!pkt || !src || src.ipv4 !== pkt.src) return { kind: "ignore" };
  const dst = peerOf(view, src, pkt.dst);
  // its own address: the instance's stack never sends that out; a pair with itself is never set up
  if (dst?.id === src.id)
    return { kind: "deny", flow: denyFlow(src, pkt.dst, denySeconds), src, dst: pkt.dst, reason: "its own address" };
  if (!dst || !servicesOf(view, src, dst)) {
    const reason = dst ? view.policy(src, dst).reason : `no instance ${pkt.dst} in ${src.vpcId} or a peered VPC`;
    return {
      kind: "deny",
      flow: denyFlow(src, pkt.dst, denySeconds),
      src,
      dst: pkt.dst,
      reason,
      ...(dst ? { peer: dst } : {}),
    };
  }
  const noPath = interCloudProblem(view, src, dst);
  if (noPath) return { kind: "deny", flow: denyFlow(src, pkt.dst, denySeconds), src, dst: pkt.dst, reason: noPath };
  return { kind: "setup", src, dst };
}

/** After a policy change: the pairs whose flows policy now shapes differently, or denies (revoke them). */
export function changedPairs(view: MappingView, pairs: readonly ActivePair[]): ActivePair[] {
  return pairs.filter((pair) => {
    const a = view.inventory.endpoint(pair.a);
    const b = view.inventory.endpoint(pair.b);
    const expected = a && b ? expectedPairFlows(view, a, b) : undefined;
    return !expected || signatureOf(expected) !== pair.signature;
  });
}
