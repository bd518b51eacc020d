import { ipv4ToNumber, numberToIpv4 } from "@nvi/openflow";

/** A parsed IPv4 block: first and last usable address (network and broadcast excluded). */
export function blockRange(cidr: string): { first: number; last: number } {
  const [ip, len] = cidr.split("/");
  const prefix = Number(len);
  if (!ip || !Number.isInteger(prefix) || prefix < 8 || prefix > 30)
    throw new Error(`fabric block "${cidr}" must be an IPv4 CIDR /8../30`);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipv4ToNumber(ip) / size) * size;
  return { first: base + 1, last: base + size - 2 };
}

export function inBlock(cidr: string, ip: string): boolean {
  const { first, last } = blockRange(cidr);
  const n = ipv4ToNumber(ip);
  return n >= first && n <= last;
}

/**
 * Fabric addresses leased to instances, per host block. An address is leased to one endpoint for
 * as long as it is plugged; after that it goes to the back of the line (allocation moves forward
 * through the block, wrapping), so a freed address is the last one handed out again. After a TSC
 * restart `recover` re-adopts what the switches hold (their LEASE flows), so nothing is guessed.
 */
export class FabricLeases {
  private readonly byEndpoint = new Map<string, string>();
  private readonly byAddress = new Map<string, string>();
  private readonly cursor = new Map<string, number>();

  get(endpointId: string): string | undefined {
    return this.byEndpoint.get(endpointId);
  }

  holder(address: string): string | undefined {
    return this.byAddress.get(address);
  }

  get size(): number {
    return this.byEndpoint.size;
  }

  /** Re-adopt a lease read back from a switch; refuses (false) when the address or endpoint is taken otherwise. */
  recover(endpointId: string, address: string): boolean {
    const held = this.byAddress.get(address);
    const current = this.byEndpoint.get(endpointId);
    if ((held && held !== endpointId) || (current && current !== address)) return false;
    this.byEndpoint.set(endpointId, address);
    this.byAddress.set(address, endpointId);
    return true;
  }

  /** The endpoint's lease, allocating the next free address of `block` if it has none. */
  lease(endpointId: string, block: string): string {
    const have = this.byEndpoint.get(endpointId);
    if (have) return have;
    const { first, last } = blockRange(block);
    const span = last - first + 1;
    const start = this.cursor.get(block) ?? first;
    for (let i = 0; i < span; i++) {
      const n = first + ((start - first + i) % span);
      const address = numberToIpv4(n);
      if (this.byAddress.has(address)) continue;
      this.cursor.set(block, n + 1 > last ? first : n + 1);
      this.byEndpoint.set(endpointId, address);
      this.byAddress.set(address, endpointId);
      return address;
    }
    throw new Error(`fabric block ${block} is full (${span} addresses leased)`);
  }

  release(endpointId: string): string | undefined {
    const address = this.byEndpoint.get(endpointId);
    if (address === undefined) return undefined;
    this.byEndpoint.delete(endpointId);
    this.byAddress.delete(address);
    return address;
  }
}
