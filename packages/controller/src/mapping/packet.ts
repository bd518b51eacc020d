import { numberToIpv4 } from "@nvi/openflow";

export interface Ipv4Headers {
  src: string;
  dst: string;
  protocol: number;
  /** TCP/UDP ports when present (for logs) */
  srcPort?: number;
  dstPort?: number;
}

const ETH_IPV4 = 0x0800;
const ETH_VLAN = 0x8100;

/** Reads the IPv4 addresses of an Ethernet frame (one VLAN tag tolerated); undefined if it is not IPv4. */
export function parseIpv4(frame: Uint8Array): Ipv4Headers | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.byteLength < 34) return undefined;
  let off = 12;
  let type = view.getUint16(off);
  if (type === ETH_VLAN) {
    off += 4;
    if (frame.byteLength < off + 22) return undefined;
    type = view.getUint16(off);
  }
  if (type !== ETH_IPV4) return undefined;
  const ip = off + 2;
  const ihl = (view.getUint8(ip) & 0x0f) * 4;
  if (view.getUint8(ip) >> 4 !== 4 || ihl < 20 || frame.byteLength < ip + ihl) return undefined;
  const protocol = view.getUint8(ip + 9);
  const out: Ipv4Headers = {
    src: numberToIpv4(view.getUint32(ip + 12)),
    dst: numberToIpv4(view.getUint32(ip + 16)),
    protocol,
  };
  if ((protocol === 6 || protocol === 17) && frame.byteLength >= ip + ihl + 4) {
    out.srcPort = view.getUint16(ip + ihl);
    out.dstPort = view.getUint16(ip + ihl + 2);
  }
  return out;
}

function sum16(view: DataView, from: number, to: number, initial: number): number {
  let sum = initial;
  for (let i = from; i + 1 < to; i += 2) sum += view.getUint16(i);
  if ((to - from) % 2 === 1) sum += view.getUint8(to - 1) << 8;
  return sum;
}

const fold = (sum: number): number => {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
};

/**
 * A copy of an IPv4 TCP/UDP frame with its L4 checksum computed. A packet-in carries what the
 * sender's stack handed over with checksum offload (often only the pseudo-header sum); released
 * as is with a packet-out, the first packet of every TCP conversation would be dropped by the
 * receiver and retransmitted a second later. Other frames are returned unchanged.
 */
export function withL4Checksum(frame: Uint8Array): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.byteLength < 34 || view.getUint16(12) !== 0x0800) return frame;
  const ip = 14;
  const ihl = (view.getUint8(ip) & 0x0f) * 4;
  const total = view.getUint16(ip + 2);
  const protocol = view.getUint8(ip + 9);
  const fragmented = (view.getUint16(ip + 6) & 0x3fff) !== 0;
  const l4 = ip + ihl;
  const end = ip + total;
  if (fragmented || end > frame.byteLength || (protocol !== 6 && protocol !== 17)) return frame;
  const at = l4 + (protocol === 6 ? 16 : 6);
  if (at + 2 > end || (protocol === 17 && view.getUint16(at) === 0)) return frame;
  const out = new Uint8Array(frame.subarray(0, end));
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint16(at, 0);
  const pseudo = sum16(v, ip + 12, ip + 20, protocol + (end - l4));
  let checksum = ~fold(sum16(v, l4, end, pseudo)) & 0xffff;
  if (protocol === 17 && checksum === 0) checksum = 0xffff;
  v.setUint16(at, checksum);
  return out;
}
