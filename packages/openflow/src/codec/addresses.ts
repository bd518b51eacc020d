import { OpenFlowEncodeError } from "../errors.ts";

/** MAC addresses are lowercase "aa:bb:cc:dd:ee:ff"; IPv4 dotted quads; IPv6 eight lowercase groups without zero compression. */
const HEX = "0123456789abcdef";

export function macToBytes(mac: string): Uint8Array {
  const parts = mac.split(":");
  if (parts.length !== 6) throw new OpenFlowEncodeError(`bad MAC address ${mac}`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i] ?? "";
    const v = Number.parseInt(p, 16);
    if (p.length < 1 || p.length > 2 || !/^[0-9a-fA-F]+$/.test(p) || Number.isNaN(v)) throw new OpenFlowEncodeError(`bad MAC address ${mac}`);
    out[i] = v;
  }
  return out;
}

export function bytesToMac(b: Uint8Array, off = 0): string {
  let s = "";
  for (let i = 0; i < 6; i++) {
    const v = b[off + i] ?? 0;
    if (i > 0) s += ":";
    s += (HEX[v >> 4] ?? "0") + (HEX[v & 15] ?? "0");
  }
  return s;
}

export function ipv4ToNumber(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new OpenFlowEncodeError(`bad IPv4 address ${ip}`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (p === "" || !Number.isInteger(v) || v < 0 || v > 255) throw new OpenFlowEncodeError(`bad IPv4 address ${ip}`);
    n = n * 256 + v;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipv6ToBytes(ip: string): Uint8Array {
  const halves = ip.split("::");
  if (halves.length > 2) throw new OpenFlowEncodeError(`bad IPv6 address ${ip}`);
  const parse = (s: string): number[] =>
    s === ""
      ? []
      : s.split(":").map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new OpenFlowEncodeError(`bad IPv6 address ${ip}`);
          return Number.parseInt(g, 16);
        });
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) throw new OpenFlowEncodeError(`bad IPv6 address ${ip}`);
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 255;
  });
  return out;
}

export function bytesToIpv6(b: Uint8Array, off = 0): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push((((b[off + i * 2] ?? 0) << 8) | (b[off + i * 2 + 1] ?? 0)).toString(16));
  return groups.join(":");
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function hexToBytes(hex: string): Uint8Array {
  const b = Buffer.from(hex.replace(/\s+/g, ""), "hex");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
