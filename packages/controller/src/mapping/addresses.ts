import type { OpenFlowLogger } from "@nvi/openflow";
import type { FlowSpec } from "../flow.ts";
import { cookieKind, cookieTag } from "../tables.ts";
import type { LeasedEndpoint } from "./flows.ts";
import { FabricLeases } from "./leases.ts";
import type { FabricEndpoint, Inventory } from "./model.ts";

/**
 * Fabric addresses as the TSC hands them out: a lease is allocated only for an endpoint whose
 * host's VEB has been read back since this TSC started, because before that the switch may hold
 * one (its LEASE flows) that must be re-adopted rather than guessed.
 */
export class FabricAddresses {
  private readonly leases = new FabricLeases();
  private readonly recovered = new Set<bigint>();

  constructor(
    private readonly inventory: Inventory,
    private readonly log: OpenFlowLogger,
  ) {}

  get(endpointId: string): string | undefined {
    return this.leases.get(endpointId);
  }

  holder(address: string): string | undefined {
    return this.leases.holder(address);
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

  release(endpointId: string): void {
    this.leases.release(endpointId);
  }
}
