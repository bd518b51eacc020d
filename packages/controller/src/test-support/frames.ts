import { bytesToMac, EthType, ipv4ToNumber, macToBytes, numberToIpv4 } from "@nvi/openflow";
import { VEB_MAC } from "@nvi/contracts";
import type { Packet } from "../flow-table.ts";

/**
 * Ethernet + IPv4 (+ TCP / UDP header) frames from the header values the in-memory flow table
 * uses, and back: what a packet-in carries and a packet-out releases.
 */
/** A TCP SYN-like packet from an endpoint's port to another endpoint's address (40000 → 80), as it enters the VEB. */
export function tcpPacket(src: { port: number; mac: string; ipv4: string }, dst: { ipv4: string }): Packet {
  return {
    inPort: src.port,
    ethSrc: src.mac,
    ethDst: VEB_MAC,
    ethType: EthType.IPV4,
    ipProto: 6,
    ipv4Src: src.ipv4,
    ipv4Dst: dst.ipv4,
    tcpSrc: 40000,
    tcpDst: 80,
  };
}

/** A broadcast ARP request from an endpoint (its port, MAC and address): who has `target`? */
export function arpRequest(from: { port: number; mac: string; ipv4: string }, target: string): Packet {
  return {
    inPort: from.port,
    ethSrc: from.mac,
    ethDst: "ff:ff:ff:ff:ff:ff",
    ethType: EthType.ARP,
    arpOp: 1,
    arpSpa: from.ipv4,
    arpSha: from.mac,
    arpTpa: target,
  };
}

export function frameOf(p: Packet, payload = 0): Uint8Array {
  const l4 = p.ipProto === 6 ? 20 : p.ipProto === 17 ? 8 : 0;
  const f = Buffer.alloc(14 + 20 + l4 + payload);
  f.set(macToBytes(p.ethDst ?? "00:00:00:00:00:00"), 0);
  f.set(macToBytes(p.ethSrc ?? "00:00:00:00:00:00"), 6);
  f.writeUInt16BE(EthType.IPV4, 12);
  f.writeUInt8(0x45, 14);
  f.writeUInt16BE(20 + l4 + payload, 16);
  f.writeUInt8(64, 22);
  f.writeUInt8(p.ipProto ?? 0, 23);
  f.writeUInt32BE(ipv4ToNumber(p.ipv4Src ?? "0.0.0.0"), 26);
  f.writeUInt32BE(ipv4ToNumber(p.ipv4Dst ?? "0.0.0.0"), 30);
  if (p.ipProto === 6) {
    f.writeUInt16BE(p.tcpSrc ?? 0, 34);
    f.writeUInt16BE(p.tcpDst ?? 0, 36);
    f.writeUInt8(0x50, 46);
  } else if (p.ipProto === 17) {
    f.writeUInt16BE(p.udpSrc ?? 0, 34);
    f.writeUInt16BE(p.udpDst ?? 0, 36);
    f.writeUInt16BE(8 + payload, 38);
  }
  return new Uint8Array(f);
}

/** The headers of an IPv4 frame entering on `inPort` (undefined for anything else). */
export function packetOf(frame: Uint8Array, inPort: number): Packet | undefined {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.byteLength < 34 || b.readUInt16BE(12) !== EthType.IPV4) return undefined;
  const ipProto = b.readUInt8(23);
  const p: Packet = {
    inPort,
    ethDst: bytesToMac(frame, 0),
    ethSrc: bytesToMac(frame, 6),
    ethType: EthType.IPV4,
    ipProto,
    ipv4Src: numberToIpv4(b.readUInt32BE(26)),
    ipv4Dst: numberToIpv4(b.readUInt32BE(30)),
  };
  if (ipProto === 6 && b.byteLength >= 38) return { ...p, tcpSrc: b.readUInt16BE(34), tcpDst: b.readUInt16BE(36) };
  if (ipProto === 17 && b.byteLength >= 38) return { ...p, udpSrc: b.readUInt16BE(34), udpDst: b.readUInt16BE(36) };
  return p;
}

/** A packet that left one VEB arriving at another's on `inPort` with the given MACs. */
export const arrive = (p: Packet, inPort: number, ethSrc: string, ethDst: string): Packet => ({
  ...p,
  inPort,
  ethSrc,
  ethDst,
});
