import type { Service } from "@nvi/contracts";
/**
 * What the NVI mapping needs to know about the world, as plain data: hosts (one VEB each) and the
 * instance ports plugged into them. The worker feeds it from Postgres; tests and the lab feed it
 * directly. Nothing here talks to a switch.
 */

/** A host's VEB and where it sits on the fabric (the routed underlay). */
export interface FabricHost {
  datapathId: bigint;
  /** a label for logs (host id or name) */
  name: string;
  datacenter: string;
  /** the host's own underlay address and MAC (the bridge's LOCAL port) */
  fabricIp: string;
  fabricPrefixLen: number;
  fabricMac: string;
  /** MAC of the next hop (router) for fabric addresses outside the host's own segment */
  gatewayMac: string;
  /** OpenFlow port of the fabric NIC */
  fabricPort: number;
  /** routed block of fabric addresses the TSC leases to this host's instances, e.g. 100.65.3.0/24 */
  instanceBlock: string;
  /**
   * The cloud the host belongs to: its underlay routes the blocks of that cloud's hosts only, so a
   * pair with a host of another cloud goes through both clouds' gateways. Absent: one routed fabric
   * (every block reachable from every host, the lab's routed mode).
   */
  cloud?: string | undefined;
  /** The organization the host belongs to (the worker sets it): a gateway's link reports speak only of its owner's gateways. */
  owner?: string | undefined;
  /** Set on a cloud's gateway host: the VEB port that leads to the host's WireGuard stack. */
  gateway?: GatewayPort | undefined;
}

/** A gateway host's tunnel port: a veth whose other end is in the host's own stack, routed into WireGuard. */
export interface GatewayPort {
  /** OpenFlow port of the VEB's end */
  tunnelPort: number;
  /** MAC of the VEB's end (the source of what the VEB hands to the stack) */
  tunnelMac: string;
  /** MAC of the stack's end (the destination of what the VEB hands to the stack) */
  stackMac: string;
}

/** An instance port on a VEB, bound to its MAC and IPv4 address. */
export interface FabricEndpoint {
  id: string;
  tenantId: string;
  vpcId: string;
  datapathId: bigint;
  port: number;
  mac: string;
  ipv4: string;
  /** the subnet's gateway address (answered by the VEB's ARP responder) */
  gateway: string;
}

export interface Verdict {
  allowed: boolean;
  reason: string;
  /** what `src` may open towards `dst` when allowed (canonical; absent = anything) */
  services?: Service[];
  /** the DSCP `src`'s packets carry on the underlay (its VPC's setting; absent = `UNDERLAY_DSCP`) */
  dscp?: number;
}

/** Decides whether `src` may open a conversation to `dst`, and with what. */
export type PairPolicy = (src: FabricEndpoint, dst: FabricEndpoint) => Verdict;

/** At this stage: same tenant and same VPC → allowed; everything else denied (default deny). */
export const sameVpcPolicy: PairPolicy = (src, dst) => {
  if (src.tenantId !== dst.tenantId) return { allowed: false, reason: "different tenants" };
  if (src.vpcId !== dst.vpcId) return { allowed: false, reason: "different VPCs (no peering)" };
  return { allowed: true, reason: `same VPC ${src.vpcId}` };
};

/** A stable 32-bit tag for a VPC, carried in the cookie of every mapping flow it allowed (FNV-1a). */
export function vpcTag(vpcId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < vpcId.length; i++) {
    h ^= vpcId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The inventory the mapping reads. Lookups are by datapath + port, or by (VPC, address). */
export class Inventory {
  private readonly hostsByDpid = new Map<bigint, FabricHost>();
  private readonly endpointsById = new Map<string, FabricEndpoint>();
  private readonly byPort = new Map<string, FabricEndpoint>();
  private readonly byVpcIp = new Map<string, FabricEndpoint>();
  private directLinks = new Set<string>();

  upsertHost(h: FabricHost): void {
    this.hostsByDpid.set(h.datapathId, { ...h });
  }

  removeHost(dpid: bigint): void {
    this.hostsByDpid.delete(dpid);
  }

  host(dpid: bigint): FabricHost | undefined {
    return this.hostsByDpid.get(dpid);
  }

  hosts(): FabricHost[] {
    return [...this.hostsByDpid.values()];
  }

  /**
   * The pairs of clouds joined by a trusted direct link (README "Trusted direct links"): their
   * underlays route each other's gateway blocks (a private interconnect), so their gateways hand pairs
   * to each other without a tunnel. Replaces the previous set.
   */
  setDirectLinks(links: readonly (readonly [string, string])[]): void {
    this.directLinks = new Set(links.map(([a, b]) => cloudPairKey(a, b)));
  }

  /** Whether clouds `a` and `b` are joined by a trusted direct link. */
  directLink(a: string | undefined, b: string | undefined): boolean {
    return a !== undefined && b !== undefined && this.directLinks.has(cloudPairKey(a, b));
  }

  /** Adds or replaces an endpoint; refuses a port or (VPC, address) already held by another one. */
  plug(e: FabricEndpoint): void {
    const portHolder = this.byPort.get(portKey(e.datapathId, e.port));
    if (portHolder && portHolder.id !== e.id)
      throw new Error(`port ${e.port} of ${e.datapathId.toString(16)} is already bound to ${portHolder.id}`);
    const ipHolder = this.byVpcIp.get(vpcIpKey(e.vpcId, e.ipv4));
    if (ipHolder && ipHolder.id !== e.id) throw new Error(`${e.ipv4} is already used in ${e.vpcId} by ${ipHolder.id}`);
    this.unplug(e.id);
    const copy = { ...e };
    this.endpointsById.set(e.id, copy);
    this.byPort.set(portKey(e.datapathId, e.port), copy);
    this.byVpcIp.set(vpcIpKey(e.vpcId, e.ipv4), copy);
  }

  unplug(id: string): FabricEndpoint | undefined {
    const e = this.endpointsById.get(id);
    if (!e) return undefined;
    this.endpointsById.delete(id);
    this.byPort.delete(portKey(e.datapathId, e.port));
    this.byVpcIp.delete(vpcIpKey(e.vpcId, e.ipv4));
    return e;
  }

  endpoint(id: string): FabricEndpoint | undefined {
    return this.endpointsById.get(id);
  }

  endpointAt(dpid: bigint, port: number): FabricEndpoint | undefined {
    return this.byPort.get(portKey(dpid, port));
  }

  endpointInVpc(vpcId: string, ipv4: string): FabricEndpoint | undefined {
    return this.byVpcIp.get(vpcIpKey(vpcId, ipv4));
  }

  endpoints(): FabricEndpoint[] {
    return [...this.endpointsById.values()];
  }

  endpointsOn(dpid: bigint): FabricEndpoint[] {
    return this.endpoints().filter((e) => e.datapathId === dpid);
  }

  endpointsInVpc(vpcId: string): FabricEndpoint[] {
    return this.endpoints().filter((e) => e.vpcId === vpcId);
  }
}

const portKey = (dpid: bigint, port: number): string => `${dpid.toString(16)}/${port}`;
const vpcIpKey = (vpcId: string, ip: string): string => `${vpcId}/${ip}`;
const cloudPairKey = (a: string, b: string): string => JSON.stringify(a < b ? [a, b] : [b, a]);
