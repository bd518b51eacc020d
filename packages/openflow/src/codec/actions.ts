import { NX_CT_RECIRC_NONE, NX_VENDOR_ID, NxActionSubtype, NxCtFlags, NxNatFlags, Port } from "../constants.ts";
import { OpenFlowDecodeError } from "../errors.ts";
import { bytesToIpv6, ipv4ToNumber, ipv6ToBytes, numberToIpv4 } from "./addresses.ts";
import { checkUint, Reader, Writer } from "./bytes.ts";
import { readTlv, writeTlv } from "./tlv.ts";
import { fieldDef, Match, MatchFieldName, readSingleOxm, writeOxm } from "./oxm.ts";

type SetFieldOf<K extends MatchFieldName> = { type: "setField"; field: K; value: NonNullable<Match[K]> };
export type SetFieldAction = { [K in MatchFieldName]: SetFieldOf<K> }[MatchFieldName];

/** Nicira NXAST_NAT, only valid inside a ct action. Optional flags are present only when true. */
export interface NatAction {
  type: "nat";
  kind?: "src" | "dst";
  persistent?: true;
  protoHash?: true;
  protoRandom?: true;
  ipv4Min?: string;
  ipv4Max?: string;
  ipv6Min?: string;
  ipv6Max?: string;
  protoMin?: number;
  protoMax?: number;
}

/** Nicira NXAST_CT with an immediate zone. `table` absent = no recirculation. */
export interface CtAction {
  type: "ct";
  commit: boolean;
  force: boolean;
  zone: number;
  table?: number;
  alg?: number;
  actions?: Action[];
}

export type Action =
  | { type: "output"; port: number; /** absent = 0xffff for CONTROLLER, 0 otherwise */ maxLen?: number }
  | { type: "group"; groupId: number }
  | { type: "pushVlan"; ethertype: number }
  | { type: "popVlan" }
  | { type: "decNwTtl" }
  | { type: "setNwTtl"; ttl: number }
  | SetFieldAction
  | CtAction
  | NatAction
  | { type: "experimenter"; experimenter: number; data: Uint8Array }
  | { type: "unknown"; actionType: number; data: Uint8Array };

const AT = {
  OUTPUT: 0,
  PUSH_VLAN: 17,
  POP_VLAN: 18,
  GROUP: 22,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  EXPERIMENTER: 0xffff,
} as const;

function defaultMaxLen(port: number): number {
  return port === Port.CONTROLLER ? 0xffff : 0;
}

function writeNat(w: Writer, a: NatAction): void {
  let flags = 0;
  if (a.kind === "src") flags |= NxNatFlags.SRC;
  if (a.kind === "dst") flags |= NxNatFlags.DST;
  if (a.persistent) flags |= NxNatFlags.PERSISTENT;
  if (a.protoHash) flags |= NxNatFlags.PROTO_HASH;
  if (a.protoRandom) flags |= NxNatFlags.PROTO_RANDOM;
  let present = 0;
  if (a.ipv4Min !== undefined) present |= 1;
  if (a.ipv4Max !== undefined) present |= 2;
  if (a.ipv6Min !== undefined) present |= 4;
  if (a.ipv6Max !== undefined) present |= 8;
  if (a.protoMin !== undefined) present |= 16;
  if (a.protoMax !== undefined) present |= 32;
  w.zeros(2);
  w.u16(flags);
  w.u16(present);
  if (a.ipv4Min !== undefined) w.u32(ipv4ToNumber(a.ipv4Min));
  if (a.ipv4Max !== undefined) w.u32(ipv4ToNumber(a.ipv4Max));
  if (a.ipv6Min !== undefined) w.bytes(ipv6ToBytes(a.ipv6Min));
  if (a.ipv6Max !== undefined) w.bytes(ipv6ToBytes(a.ipv6Max));
  if (a.protoMin !== undefined) {
    checkUint(a.protoMin, 16, "nat protoMin");
    w.u16(a.protoMin);
  }
  if (a.protoMax !== undefined) {
    checkUint(a.protoMax, 16, "nat protoMax");
    w.u16(a.protoMax);
  }
}

function writeCt(w: Writer, a: CtAction): void {
  checkUint(a.zone, 16, "ct zone");
  w.u16((a.commit ? NxCtFlags.COMMIT : 0) | (a.force ? NxCtFlags.FORCE : 0));
  w.u32(0); // zone_src: immediate
  w.u16(a.zone);
  w.u8(a.table ?? NX_CT_RECIRC_NONE);
  w.zeros(3);
  w.u16(a.alg ?? 0);
  writeActions(w, a.actions ?? []);
}

export function writeAction(w: Writer, a: Action): void {
  switch (a.type) {
    case "output":
      checkUint(a.port, 32, "output port");
      return writeTlv(w, AT.OUTPUT, () => {
        w.u32(a.port);
        w.u16(a.maxLen ?? defaultMaxLen(a.port));
      });
    case "group":
      return writeTlv(w, AT.GROUP, () => w.u32(a.groupId));
    case "pushVlan":
      return writeTlv(w, AT.PUSH_VLAN, () => w.u16(a.ethertype));
    case "popVlan":
      return writeTlv(w, AT.POP_VLAN, () => w.zeros(4));
    case "decNwTtl":
      return writeTlv(w, AT.DEC_NW_TTL, () => w.zeros(4));
    case "setNwTtl":
      return writeTlv(w, AT.SET_NW_TTL, () => w.u8(a.ttl));
    case "setField":
      return writeTlv(w, AT.SET_FIELD, () => writeOxm(w, fieldDef(a.field), a.value, undefined));
    case "ct":
    case "nat":
      return writeTlv(w, AT.EXPERIMENTER, () => {
        w.u32(NX_VENDOR_ID);
        w.u16(a.type === "ct" ? NxActionSubtype.CT : NxActionSubtype.NAT);
        if (a.type === "ct") writeCt(w, a);
        else writeNat(w, a);
      });
    case "experimenter":
      return writeTlv(w, AT.EXPERIMENTER, () => {
        w.u32(a.experimenter);
        w.bytes(a.data);
      });
    case "unknown":
      return writeTlv(w, a.actionType, () => w.bytes(a.data));
  }
}

export function writeActions(w: Writer, actions: readonly Action[]): void {
  for (const a of actions) writeAction(w, a);
}

function readNat(r: Reader): NatAction | undefined {
  r.skip(2);
  const flags = r.u16();
  const present = r.u16();
  const kindBits = flags & (NxNatFlags.SRC | NxNatFlags.DST);
  if (flags & ~0x1f || present & ~0x3f || kindBits === 3) return undefined;
  const a: NatAction = { type: "nat" };
  if (kindBits === NxNatFlags.SRC) a.kind = "src";
  if (kindBits === NxNatFlags.DST) a.kind = "dst";
  if (flags & NxNatFlags.PERSISTENT) a.persistent = true;
  if (flags & NxNatFlags.PROTO_HASH) a.protoHash = true;
  if (flags & NxNatFlags.PROTO_RANDOM) a.protoRandom = true;
  if (present & 1) a.ipv4Min = numberToIpv4(r.u32());
  if (present & 2) a.ipv4Max = numberToIpv4(r.u32());
  if (present & 4) a.ipv6Min = bytesToIpv6(r.bytesView(16));
  if (present & 8) a.ipv6Max = bytesToIpv6(r.bytesView(16));
  if (present & 16) a.protoMin = r.u16();
  if (present & 32) a.protoMax = r.u16();
  return r.remaining < 8 && r.restIsZero() ? a : undefined;
}

function readCt(r: Reader, depth: number): CtAction | undefined {
  const flags = r.u16();
  const zoneSrc = r.u32();
  const zone = r.u16();
  const table = r.u8();
  r.skip(3);
  const alg = r.u16();
  if (zoneSrc !== 0 || flags & ~3) return undefined;
  const a: CtAction = {
    type: "ct",
    commit: (flags & NxCtFlags.COMMIT) !== 0,
    force: (flags & NxCtFlags.FORCE) !== 0,
    zone,
  };
  if (table !== NX_CT_RECIRC_NONE) a.table = table;
  if (alg !== 0) a.alg = alg;
  const nested = readActions(r, depth + 1);
  if (nested.length > 0) a.actions = nested;
  return a;
}

function readExperimenter(body: Reader, depth: number): Action {
  const start = body.pos;
  const experimenter = body.u32();
  if (experimenter === NX_VENDOR_ID && body.remaining >= 2) {
    const subtype = body.u16();
    const decoded =
      subtype === NxActionSubtype.CT
        ? readCt(body, depth)
        : subtype === NxActionSubtype.NAT
          ? readNat(body)
          : undefined;
    if (decoded) return decoded;
  }
  body.pos = start + 4;
  return { type: "experimenter", experimenter, data: body.bytesView(body.remaining) };
}

export function readAction(r: Reader, depth = 0): Action {
  const { at, type, body, fixed } = readTlv(r, "action");
  switch (type) {
    case AT.OUTPUT: {
      fixed(16, "output");
      const port = body.u32();
      const maxLen = body.u16();
      return maxLen === defaultMaxLen(port) ? { type: "output", port } : { type: "output", port, maxLen };
    }
    case AT.GROUP:
      fixed(8, "group");
      return { type: "group", groupId: body.u32() };
    case AT.PUSH_VLAN:
      fixed(8, "push_vlan");
      return { type: "pushVlan", ethertype: body.u16() };
    case AT.POP_VLAN:
      fixed(8, "pop_vlan");
      return { type: "popVlan" };
    case AT.DEC_NW_TTL:
      fixed(8, "dec_nw_ttl");
      return { type: "decNwTtl" };
    case AT.SET_NW_TTL:
      fixed(8, "set_nw_ttl");
      return { type: "setNwTtl", ttl: body.u8() };
    case AT.SET_FIELD: {
      const start = body.pos;
      const one = body.remaining >= 4 ? readSingleOxm(body) : undefined;
      if (one && body.remaining < 8 && body.restIsZero()) {
        return { type: "setField", field: one.def.name, value: one.value } as SetFieldAction;
      }
      body.pos = start;
      return { type: "unknown", actionType: type, data: body.bytesView(body.remaining) };
    }
    case AT.EXPERIMENTER:
      if (depth > 4) throw new OpenFlowDecodeError("BAD_VALUE", "experimenter actions nested too deep", at);
      return readExperimenter(body, depth);
    default:
      return { type: "unknown", actionType: type, data: body.bytesView(body.remaining) };
  }
}

/** Actions until the reader's end; each action consumes at least 8 bytes, so this always terminates. */
export function readActions(r: Reader, depth = 0): Action[] {
  const out: Action[] = [];
  while (r.remaining > 0) out.push(readAction(r, depth));
  return out;
}
