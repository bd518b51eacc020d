import { OpenFlowDecodeError, OpenFlowEncodeError } from "../errors.ts";
import { bytesToIpv6, bytesToMac, ipv4ToNumber, ipv6ToBytes, numberToIpv4, parseMacInto } from "./addresses.ts";
import { Reader, Writer } from "./bytes.ts";

/** One OXM TLV the codec does not model, kept verbatim so decode → encode loses nothing. */
export interface RawOxm {
  oxmClass: number;
  field: number;
  hasMask: boolean;
  value: Uint8Array;
}

/**
 * An OpenFlow 1.3 match as a plain object. A `…Mask` property is only meaningful next to its field.
 * Values: MACs "aa:bb:cc:dd:ee:ff", IPv4 dotted quads, IPv6 eight lowercase groups, u64 as bigint.
 */
export interface Match {
  inPort?: number;
  metadata?: bigint;
  metadataMask?: bigint;
  ethDst?: string;
  ethDstMask?: string;
  ethSrc?: string;
  ethSrcMask?: string;
  ethType?: number;
  vlanVid?: number;
  vlanVidMask?: number;
  ipDscp?: number;
  ipProto?: number;
  ipv4Src?: string;
  ipv4SrcMask?: string;
  ipv4Dst?: string;
  ipv4DstMask?: string;
  tcpSrc?: number;
  tcpSrcMask?: number;
  tcpDst?: number;
  tcpDstMask?: number;
  udpSrc?: number;
  udpSrcMask?: number;
  udpDst?: number;
  udpDstMask?: number;
  icmpv4Type?: number;
  icmpv4Code?: number;
  arpOp?: number;
  arpSpa?: string;
  arpSpaMask?: string;
  arpTpa?: string;
  arpTpaMask?: string;
  arpSha?: string;
  arpShaMask?: string;
  arpTha?: string;
  arpThaMask?: string;
  ipv6Src?: string;
  ipv6SrcMask?: string;
  ipv6Dst?: string;
  ipv6DstMask?: string;
  /** Nicira NXM_NX_CT_STATE (class 0x0001, field 105). */
  ctState?: number;
  ctStateMask?: number;
  /** Nicira NXM_NX_CT_ZONE (class 0x0001, field 106). */
  ctZone?: number;
  extra?: RawOxm[];
}

type Kind = "u8" | "u16" | "u32" | "u64" | "mac" | "ipv4" | "ipv6";
export type MatchFieldName = Exclude<keyof Match, `${string}Mask` | "extra">;
type FieldValue = number | bigint | string;

interface FieldDef {
  name: MatchFieldName;
  mask?: keyof Match;
  oxmClass: number;
  field: number;
  kind: Kind;
}

export const OXM_CLASS_OPENFLOW_BASIC = 0x8000;
export const OXM_CLASS_NXM_1 = 0x0001;
const B = OXM_CLASS_OPENFLOW_BASIC;

/** Declared in prerequisite order: the encoder writes fields in this order (OVS checks prerequisites as it parses). */
export const MATCH_FIELDS: readonly FieldDef[] = [
  { name: "inPort", oxmClass: B, field: 0, kind: "u32" },
  { name: "metadata", mask: "metadataMask", oxmClass: B, field: 2, kind: "u64" },
  { name: "ethDst", mask: "ethDstMask", oxmClass: B, field: 3, kind: "mac" },
  { name: "ethSrc", mask: "ethSrcMask", oxmClass: B, field: 4, kind: "mac" },
  { name: "ethType", oxmClass: B, field: 5, kind: "u16" },
  { name: "vlanVid", mask: "vlanVidMask", oxmClass: B, field: 6, kind: "u16" },
  { name: "ipDscp", oxmClass: B, field: 8, kind: "u8" },
  { name: "ipProto", oxmClass: B, field: 10, kind: "u8" },
  { name: "ipv4Src", mask: "ipv4SrcMask", oxmClass: B, field: 11, kind: "ipv4" },
  { name: "ipv4Dst", mask: "ipv4DstMask", oxmClass: B, field: 12, kind: "ipv4" },
  { name: "tcpSrc", mask: "tcpSrcMask", oxmClass: B, field: 13, kind: "u16" },
  { name: "tcpDst", mask: "tcpDstMask", oxmClass: B, field: 14, kind: "u16" },
  { name: "udpSrc", mask: "udpSrcMask", oxmClass: B, field: 15, kind: "u16" },
  { name: "udpDst", mask: "udpDstMask", oxmClass: B, field: 16, kind: "u16" },
  { name: "icmpv4Type", oxmClass: B, field: 19, kind: "u8" },
  { name: "icmpv4Code", oxmClass: B, field: 20, kind: "u8" },
  { name: "arpOp", oxmClass: B, field: 21, kind: "u16" },
  { name: "arpSpa", mask: "arpSpaMask", oxmClass: B, field: 22, kind: "ipv4" },
  { name: "arpTpa", mask: "arpTpaMask", oxmClass: B, field: 23, kind: "ipv4" },
  { name: "arpSha", mask: "arpShaMask", oxmClass: B, field: 24, kind: "mac" },
  { name: "arpTha", mask: "arpThaMask", oxmClass: B, field: 25, kind: "mac" },
  { name: "ipv6Src", mask: "ipv6SrcMask", oxmClass: B, field: 26, kind: "ipv6" },
  { name: "ipv6Dst", mask: "ipv6DstMask", oxmClass: B, field: 27, kind: "ipv6" },
  { name: "ctState", mask: "ctStateMask", oxmClass: OXM_CLASS_NXM_1, field: 105, kind: "u32" },
  { name: "ctZone", oxmClass: OXM_CLASS_NXM_1, field: 106, kind: "u16" },
];

const WIDTH: Record<Kind, number> = { u8: 1, u16: 2, u32: 4, u64: 8, mac: 6, ipv4: 4, ipv6: 16 };
const BY_NAME = new Map(MATCH_FIELDS.map((f) => [f.name, f]));
const BY_CODE = new Map(MATCH_FIELDS.map((f) => [f.oxmClass * 256 + f.field, f]));

export function fieldDef(name: MatchFieldName): FieldDef {
  const def = BY_NAME.get(name);
  if (!def) throw new OpenFlowEncodeError(`unknown match field ${name}`);
  return def;
}

function writeValue(w: Writer, kind: Kind, v: FieldValue, name: string): void {
  switch (kind) {
    case "u8":
    case "u16":
    case "u32": {
      const max = kind === "u8" ? 0xff : kind === "u16" ? 0xffff : 0xffffffff;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
        throw new OpenFlowEncodeError(`${name}=${String(v)} is not a ${kind}`);
      if (kind === "u8") w.u8(v);
      else if (kind === "u16") w.u16(v);
      else w.u32(v);
      return;
    }
    case "u64":
      if (typeof v !== "bigint") throw new OpenFlowEncodeError(`${name} must be a bigint`);
      w.u64(v);
      return;
    case "mac":
      w.ensure(6);
      if (typeof v !== "string" || !parseMacInto(v, w.buf, w.pos))
        throw new OpenFlowEncodeError(`${name}: bad MAC address ${String(v)}`);
      w.pos += 6;
      return;
    case "ipv4":
      w.u32(ipv4ToNumber(String(v)));
      return;
    case "ipv6":
      w.bytes(ipv6ToBytes(String(v)));
      return;
  }
}

function readValue(r: Reader, kind: Kind): FieldValue {
  switch (kind) {
    case "u8":
      return r.u8();
    case "u16":
      return r.u16();
    case "u32":
      return r.u32();
    case "u64":
      return r.u64();
    case "mac": {
      r.need(6, "MAC");
      const s = bytesToMac(r.bytes, r.pos);
      r.pos += 6;
      return s;
    }
    case "ipv4":
      return numberToIpv4(r.u32());
    case "ipv6":
      return bytesToIpv6(r.bytesView(16));
  }
}

/** Write one OXM TLV (header + value [+ mask]). */
export function writeOxm(w: Writer, def: FieldDef, value: FieldValue, mask: FieldValue | undefined): void {
  const width = WIDTH[def.kind];
  const hasMask = mask !== undefined;
  w.u16(def.oxmClass);
  w.u8((def.field << 1) | (hasMask ? 1 : 0));
  w.u8(hasMask ? width * 2 : width);
  writeValue(w, def.kind, value, def.name);
  if (hasMask) writeValue(w, def.kind, mask, `${def.name} mask`);
}

function writeRawOxm(w: Writer, raw: RawOxm): void {
  if (raw.value.length > 255) throw new OpenFlowEncodeError("raw OXM value longer than 255 bytes");
  w.u16(raw.oxmClass);
  w.u8(((raw.field & 0x7f) << 1) | (raw.hasMask ? 1 : 0));
  w.u8(raw.value.length);
  w.bytes(raw.value);
}

const RANK: Record<string, number | undefined> = Object.fromEntries(MATCH_FIELDS.map((f, i) => [f.name, i]));
const present: number[] = [];

/** The OXM TLVs of a match, without the ofp_match header, in MATCH_FIELDS (prerequisite) order. */
export function writeOxmFields(w: Writer, m: Match): void {
  const rec = m as Record<string, FieldValue | undefined>;
  let n = 0;
  for (const key in rec) {
    const rank = RANK[key];
    if (rank === undefined || rec[key] === undefined) continue;
    let i = n++;
    while (i > 0 && (present[i - 1] ?? 0) > rank) {
      present[i] = present[i - 1] ?? 0;
      i--;
    }
    present[i] = rank;
  }
  for (let i = 0; i < n; i++) {
    const def = MATCH_FIELDS[present[i] ?? 0] as FieldDef;
    writeOxm(w, def, rec[def.name] as FieldValue, def.mask ? rec[def.mask] : undefined);
  }
  if (m.extra) for (const raw of m.extra) writeRawOxm(w, raw);
}

/** ofp_match: type OXM, length, fields, padding to 8. */
export function writeMatch(w: Writer, m: Match): void {
  const start = w.pos;
  w.u16(1);
  w.u16(0);
  writeOxmFields(w, m);
  w.patchU16(start + 2, w.pos - start);
  w.pad8(start);
}

/** Read one OXM TLV into `m` (known fields) or `m.extra` (anything else). */
export function readOxm(r: Reader, m: Match): void {
  const oxmClass = r.u16();
  const fh = r.u8();
  const len = r.u8();
  const field = fh >> 1;
  const hasMask = (fh & 1) === 1;
  const body = r.sub(len, "OXM value");
  const def = BY_CODE.get(oxmClass * 256 + field);
  const rec = m as Record<string, unknown>;
  const width = def ? WIDTH[def.kind] : 0;
  if (
    def &&
    rec[def.name] === undefined &&
    len === (hasMask ? 2 * width : width) &&
    (!hasMask || def.mask !== undefined)
  ) {
    rec[def.name] = readValue(body, def.kind);
    if (hasMask && def.mask) rec[def.mask] = readValue(body, def.kind);
    return;
  }
  (m.extra ??= []).push({ oxmClass, field, hasMask, value: body.bytesView(len) });
}

/** ofp_match at the reader's position, including its padding. */
export function readMatch(r: Reader): Match {
  const start = r.pos;
  const type = r.u16();
  const length = r.u16();
  if (type !== 1) throw new OpenFlowDecodeError("BAD_VALUE", `match type ${type} is not OXM`, start);
  if (length < 4) throw new OpenFlowDecodeError("BAD_LENGTH", `match length ${length} < 4`, start);
  const body = r.sub(length - 4, "match");
  const m: Match = {};
  while (body.remaining > 0) readOxm(body, m);
  const padded = Math.ceil(length / 8) * 8;
  r.skip(padded - length);
  return m;
}

/** A value for set_field: exactly one known, unmasked field (undefined otherwise; the reader is left mid-TLV). */
export function readSingleOxm(r: Reader): { def: FieldDef; value: FieldValue } | undefined {
  const oxmClass = r.u16();
  const fh = r.u8();
  const len = r.u8();
  const def = BY_CODE.get(oxmClass * 256 + (fh >> 1));
  if (!def || (fh & 1) === 1 || len !== WIDTH[def.kind]) return undefined;
  r.need(len, "OXM value");
  return { def, value: readValue(r, def.kind) };
}
