/**
 * IPv4 CIDR arithmetic on unsigned 32-bit numbers. Pure: no I/O, no allocation
 * beyond the results.
 */
export interface Cidr {
  network: number;
  prefix: number;
}

export type CidrProblem = { message: string };

export function parseIpv4(text: string): number | null {
  const parts = text.trim().split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function last(c: Cidr): number {
  return c.network + size(c) - 1;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

/** Parses `a.b.c.d/n`; host bits must be zero (the error says which network was meant). */
export function parseCidr(text: string): Cidr | CidrProblem {
  const match = text.trim().match(/^([0-9.]+)\/([0-9]{1,2})$/);
  if (!match) return { message: `"${text}" is not an IPv4 CIDR like 10.0.0.0/16` };
  const address = parseIpv4(match[1]!);
  const prefix = Number(match[2]);
  if (address === null) return { message: `"${match[1]}" is not an IPv4 address` };
  if (prefix > 32) return { message: `prefix /${prefix} is longer than 32` };
  const network = address - (address % 2 ** (32 - prefix));
  if (network !== address)
    return { message: `${text} has host bits set; did you mean ${formatIpv4(network)}/${prefix}?` };
  return { network, prefix };
}

export function isProblem(value: Cidr | CidrProblem): value is CidrProblem {
  return "message" in value;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.network >= outer.network && last(inner) <= last(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= last(b) && b.network <= last(a);
}

export function containsAddress(c: Cidr, address: number): boolean {
  return address >= c.network && address <= last(c);
}

/** RFC 1918 private ranges: the only places tenant networks may live. */
export const PRIVATE_RANGES: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(
  (t) => parseCidr(t) as Cidr,
);

export function isPrivate(c: Cidr): boolean {
  return PRIVATE_RANGES.some((range) => contains(range, c));
}

/**
 * Addresses an instance may get: not the network address, not the gateway (the
 * first host), not broadcast.
 */
export function assignableRange(c: Cidr): { first: number; last: number } {
  return { first: c.network + 2, last: last(c) - 1 };
}

export function gatewayOf(c: Cidr): number {
  return c.network + 1;
}
