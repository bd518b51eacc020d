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
  const out: Ipv4Headers = { src: numberToIpv4(view.getUint32(ip + 12)), dst: numberToIpv4(view.getUint32(ip + 16)), protocol };
  if ((protocol === 6 || protocol === 17) && frame.byteLength >= ip + ihl + 4) {
    out.srcPort = view.getUint16(ip + ihl);
    out.dstPort = view.getUint16(ip + ihl + 2);
  }
  return out;
}
