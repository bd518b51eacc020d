import type { OpenFlowLogger } from "@nvi/openflow";
import type { FlowSpec } from "../flow.ts";
import { cookieKind, cookieTag } from "../tables.ts";
import type { LeasedEndpoint } from "./flows.ts";
import { gatewayLeaseFlow } from "./intercloud.ts";
import { FabricLeases, inBlock } from "./leases.ts";
import type { FabricEndpoint, FabricHost, Inventory } from "./model.ts";

/** Separates an endpoint id from the gateway in the key of a gateway lease (never in an id). */
const GATEWAY_KEY = "\u0000gw:";
const gatewayKey = (endpointId: string, gw: bigint): string => `${endpointId}${GATEWAY_KEY}${gw}`;

/**
 * Fabric addresses as the TSC hands them out: a lease is allocated only for an endpoint whose
 * host's VEB has been read back since this TSC started, because before that the switch may hold
 * one (its LEASE flows) that must be re-adopted rather than guessed.
 */
export class FabricAddresses {
  private readonly leases = new FabricLeases();
  private readonly recovered = new Set<bigint>();
  /** endpoint id → the gateways holding a lease for it (datapath ids) */
  private readonly gatewaysOfEndpoint = new Map<string, Set<bigint>>();

  constructor(
    private readonly inventory: Inventory,
    private readonly log: OpenFlowLogger,
  ) {}

  get(endpointId: string): string | undefined {
    return this.leases.get(endpointId);
  }

  /** The endpoint an address is leased to: its own fabric address, or a gateway lease held for it. */
  holder(address: string): string | undefined {
    const key = this.leases.holder(address);
    return key === undefined ? undefined : (key.split(GATEWAY_KEY)[0] ?? key);
  }

  /**
   * Endpoint `endpointId` as seen at gateway `gw` (README "Across clouds"): an address of the
   * gateway's block, allocated once the gateway's VEB has been read back; undefined before.
   */
  gatewayLease(endpointId: string, gw: FabricHost): string | undefined {
    if (!this.recovered.has(gw.datapathId)) return undefined;
    this.noteGateway(endpointId, gw.datapathId);
    return this.leases.lease(gatewayKey(endpointId, gw.datapathId), gw.instanceBlock);
  }

  /**
   * The gateway leases gateway `gw` holds, as its GATEWAY_LEASE flows: every one, or only those of
   * `only` (a pair being set up writes its own down with its flows).
   */
  gatewayLeaseFlows(gw: bigint, only?: readonly FabricEndpoint[]): FlowSpec[] {
    const endpoints = only ?? [...this.gatewaysOfEndpoint.keys()].flatMap((id) => this.inventory.endpoint(id) ?? []);
    return endpoints.flatMap((e) => {
      const address = this.gatewayLeaseHeld(e.id, gw);
      return address ? [gatewayLeaseFlow(e, address)] : [];
    });
  }

  /** The lease gateway `gw` holds for this endpoint, if any (never allocates). */
  gatewayLeaseHeld(endpointId: string, gw: bigint): string | undefined {
    return this.leases.get(gatewayKey(endpointId, gw));
  }

  /** The gateways holding a lease for this endpoint. */
  gatewaysHolding(endpointId: string): bigint[] {
    return [...(this.gatewaysOfEndpoint.get(endpointId) ?? [])];
  }

  private recoverGatewayLease(endpointId: string, gw: bigint, address: string): boolean {
    if (!this.leases.recover(gatewayKey(endpointId, gw), address)) return false;
    this.noteGateway(endpointId, gw);
    return true;
  }

  private noteGateway(endpointId: string, gw: bigint): void {
    const gws = this.gatewaysOfEndpoint.get(endpointId) ?? new Set<bigint>();
    gws.add(gw);
    this.gatewaysOfEndpoint.set(endpointId, gws);
  }

  get size(): number {
    return this.leases.size;
  }

  /** The host's VEB has been read back since this TSC started. */
  isRecovered(dpid: bigint): boolean {
    return this.recovered.has(dpid);
  }

  /** The endpoint with its fabric address, allocating one when its host is read back; undefined before. */
  leased(e: FabricEndpoint): LeasedEndpoint | undefined {
    const have = this.leases.get(e.id);
    if (have) return { ...e, fabricIp: have };
    const host = this.inventory.host(e.datapathId);
    if (!host || !this.recovered.has(e.datapathId)) return undefined;
    return { ...e, fabricIp: this.leases.lease(e.id, host.instanceBlock) };
  }

  /**
   * Re-adopt the leases a (re)connecting switch holds: its instances' (LEASE flows) and, on a
   * gateway, the gateway leases it holds for instances elsewhere (GATEWAY_LEASE flows, the
   * instance's host in `metadata`); from now on its host's block may be allocated. A lease the
   * switch may not speak for (see `claimant`) is ignored, and the resync deletes its flow. Answers `installed`.
   */
  adopt(dpid: bigint, installed: readonly FlowSpec[]): readonly FlowSpec[] {
    for (const f of installed) {
      const e = this.claimant(dpid, f);
      const address = f.match.ipv4Dst;
      if (!e || address === undefined) continue;
      const recovered =
        cookieKind(f.cookie) === "LEASE"
          ? this.leases.recover(e.id, address)
          : this.recoverGatewayLease(e.id, dpid, address);
      if (!recovered)
        this.log.warn("lease on switch conflicts with a known one; reallocating", { endpoint: e.id, address });
    }
    this.recovered.add(dpid);
    return installed;
  }

  /**
   * The endpoint a lease read back from VEB `dpid` speaks for, when the switch may speak for it: a
   * host's root can write any flow into its own VEB, so a forged lease must not take another host's
   * address (an instance re-leased at a restart loses every pair). A lease must be an address of
   * this host's block; a LEASE names an instance plugged here; a GATEWAY_LEASE is held by a gateway
   * (for an instance of any organization: a pair across clouds may join peered VPCs of two, and
   * its gateways lease both ends). Such a lease is keyed by instance and gateway, in the gateway's
   * own block, so it only ever serves pairs through that gateway, which carries them anyway.
   */
  private claimant(dpid: bigint, f: FlowSpec): FabricEndpoint | undefined {
    const kind = cookieKind(f.cookie);
    const host = this.inventory.host(dpid);
    const address = f.match.ipv4Dst;
    if ((kind !== "LEASE" && kind !== "GATEWAY_LEASE") || !host || address === undefined) return undefined;
    if (!inBlock(host.instanceBlock, address)) return undefined;
    if (kind === "LEASE") return this.inventory.endpointAt(dpid, cookieTag(f.cookie));
    const at = f.match.metadata;
    return host.gateway && at !== undefined ? this.inventory.endpointAt(at, cookieTag(f.cookie)) : undefined;
  }

  /** Frees the endpoint's fabric address and every gateway lease held for it. */
  release(endpointId: string): void {
    this.leases.release(endpointId);
    for (const gw of this.gatewaysOfEndpoint.get(endpointId) ?? []) this.leases.release(gatewayKey(endpointId, gw));
    this.gatewaysOfEndpoint.delete(endpointId);
  }
}
