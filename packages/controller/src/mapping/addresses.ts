import type { OpenFlowLogger } from "@nvi/openflow";
import type { FlowSpec } from "../flow.ts";
import { cookieKind, cookieTag } from "../tables.ts";
import type { LeasedEndpoint } from "./flows.ts";
import { FabricLeases } from "./leases.ts";
import type { FabricEndpoint, FabricHost, Inventory } from "./model.ts";

/** Separates an endpoint id from the gateway in the key of a gateway lease (never in an id). */
const GATEWAY_KEY = "\u0000gw:";

/**
 * Fabric addresses as the TSC hands them out: a lease is allocated only for an endpoint whose
 * host's VEB has been read back since this TSC started, because before that the switch may hold
 * one (its LEASE flows) that must be re-adopted rather than guessed.
 */
export class FabricAddresses {
  private readonly leases = new FabricLeases();
  private readonly recovered = new Set<bigint>();
  /** endpoint id → the keys of its gateway leases */
  private readonly gatewayKeys = new Map<string, Set<string>>();

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
    const key = `${endpointId}${GATEWAY_KEY}${gw.datapathId}`;
    const keys = this.gatewayKeys.get(endpointId) ?? new Set<string>();
    keys.add(key);
    this.gatewayKeys.set(endpointId, keys);
    return this.leases.lease(key, gw.instanceBlock);
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

  /** Re-adopt the leases a (re)connecting switch holds (its LEASE flows); from now on its host's block may be allocated. */
  adopt(dpid: bigint, installed: readonly FlowSpec[]): void {
    for (const f of installed) {
      if (cookieKind(f.cookie) !== "LEASE" || f.match.ipv4Dst === undefined) continue;
      const e = this.inventory.endpointAt(dpid, cookieTag(f.cookie));
      if (e && !this.leases.recover(e.id, f.match.ipv4Dst))
        this.log.warn("lease on switch conflicts with a known one; reallocating", {
          endpoint: e.id,
          address: f.match.ipv4Dst,
        });
    }
    this.recovered.add(dpid);
  }

  /** Frees the endpoint's fabric address and every gateway lease held for it. */
  release(endpointId: string): void {
    this.leases.release(endpointId);
    for (const key of this.gatewayKeys.get(endpointId) ?? []) this.leases.release(key);
    this.gatewayKeys.delete(endpointId);
  }
}
