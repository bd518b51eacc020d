import { OpenFlowEncodeError } from "../errors.ts";

/** MAC addresses are lowercase "aa:bb:cc:dd:ee:ff"; IPv4 dotted quads; IPv6 eight lowercase groups without zero compression. */

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parse "aa:bb:cc:dd:ee:ff" into `out` at `off` without intermediate strings; false if malformed. */
export function parseMacInto(mac: string, out: Uint8Array, off: number): boolean {
  let i = 0;
  for (let k = 0; k < 6; k++) {
    if (k > 0) {
      if (mac.charCodeAt(i) !== 58) return false;
      i++;
    }
    const h = hexDigit(mac.charCodeAt(i));
    if (h < 0) return false;
    const l = hexDigit(mac.charCodeAt(i + 1));
    if (l >= 0) {
      out[off + k] = (h << 4) | l;
      i += 2;
    } else {
      out[off + k] = h;
      i += 1;
    }
  }
  return i === mac.length;
}

export function macToBytes(mac: string): Uint8Array {
  const out = new Uint8Array(6);
  if (!parseMacInto(mac, out, 0)) throw new OpenFlowEncodeError(`bad MAC address ${mac}`);
  return out;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(2, "0"));

export function bytesToMac(b: Uint8Array, off = 0): string {
  const h = HEX_PAIRS;
  return `${h[b[off] ?? 0]}:${h[b[off + 1] ?? 0]}:${h[b[off + 2] ?? 0]}:${h[b[off + 3] ?? 0]}:${h[b[off + 4] ?? 0]}:${h[b[off + 5] ?? 0]}`;
}

/** Dotted quad to a u32; -1 if malformed (no intermediate strings). */
export function parseIpv4(ip: string): number {
  let n = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (octet < 0 || ++dots > 3) return -1;
      n = n * 256 + octet;
      octet = -1;
    } else if (c >= 48 && c <= 57) {
      octet = octet < 0 ? c - 48 : octet * 10 + (c - 48);
      if (octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || octet < 0) return -1;
  return n * 256 + octet;
}

export function ipv4ToNumber(ip: string): number {
  const n = parseIpv4(ip);
  if (n < 0) throw new OpenFlowEncodeError(`bad IPv4 address ${ip}`);
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
