import { MultipartType } from "../constants.ts";
import { OpenFlowDecodeError } from "../errors.ts";
import { bytesToMac, macToBytes } from "./addresses.ts";
import { Reader, Writer } from "./bytes.ts";
import { readInstructions, writeInstructions } from "./instructions.ts";
import { FlowStats, FlowStatsRequest, MultipartReplyBody, MultipartRequestBody, PortDesc } from "./messages.ts";
import { readMatch, writeMatch } from "./oxm.ts";

export const PORT_DESC_LEN = 64;

export function writePort(w: Writer, p: PortDesc): void {
  w.u32(p.portNo);
  w.zeros(4);
  w.bytes(macToBytes(p.hwAddr));
  w.zeros(2);
  w.fixedString(p.name, 16);
  w.u32(p.config);
  w.u32(p.state);
  w.u32(p.curr);
  w.u32(p.advertised);
  w.u32(p.supported);
  w.u32(p.peer);
  w.u32(p.currSpeed);
  w.u32(p.maxSpeed);
}

export function readPort(r: Reader): PortDesc {
  const portNo = r.u32();
  r.skip(4);
  const hwAddr = bytesToMac(r.bytesView(6));
  r.skip(2);
  const name = r.fixedString(16);
  return {
    portNo,
    hwAddr,
    name,
    config: r.u32(),
    state: r.u32(),
    curr: r.u32(),
    advertised: r.u32(),
    supported: r.u32(),
    peer: r.u32(),
    currSpeed: r.u32(),
    maxSpeed: r.u32(),
  };
}

function writeFlowStatsRequest(w: Writer, q: FlowStatsRequest): void {
  w.u8(q.tableId);
  w.zeros(3);
  w.u32(q.outPort);
  w.u32(q.outGroup);
  w.zeros(4);
  w.u64(q.cookie);
  w.u64(q.cookieMask);
  writeMatch(w, q.match);
}

function readFlowStatsRequest(r: Reader): FlowStatsRequest {
  const tableId = r.u8();
  r.skip(3);
  const outPort = r.u32();
  const outGroup = r.u32();
  r.skip(4);
  const cookie = r.u64();
  const cookieMask = r.u64();
  return { tableId, outPort, outGroup, cookie, cookieMask, match: readMatch(r) };
}

const REQ_TYPE: Record<Exclude<MultipartRequestBody["kind"], "other">, number> = {
  desc: MultipartType.DESC,
  portDesc: MultipartType.PORT_DESC,
  tableStats: MultipartType.TABLE,
  flowStats: MultipartType.FLOW,
  aggregate: MultipartType.AGGREGATE,
};

export function multipartTypeOf(body: MultipartRequestBody | MultipartReplyBody): number {
  return body.kind === "other" ? body.mpType : REQ_TYPE[body.kind];
}

export function writeMultipartRequestBody(w: Writer, b: MultipartRequestBody): void {
  if (b.kind === "flowStats" || b.kind === "aggregate") writeFlowStatsRequest(w, b);
  else if (b.kind === "other") w.bytes(b.data);
}

export function readMultipartRequestBody(mpType: number, r: Reader): MultipartRequestBody {
  switch (mpType) {
    case MultipartType.DESC:
      return { kind: "desc" };
    case MultipartType.PORT_DESC:
      return { kind: "portDesc" };
    case MultipartType.TABLE:
      return { kind: "tableStats" };
    case MultipartType.FLOW:
      return { kind: "flowStats", ...readFlowStatsRequest(r) };
    case MultipartType.AGGREGATE:
      return { kind: "aggregate", ...readFlowStatsRequest(r) };
    default:
      return { kind: "other", mpType, data: r.bytesView(r.remaining) };
  }
}

function writeFlowStats(w: Writer, f: FlowStats): void {
  const start = w.pos;
  w.u16(0);
  w.u8(f.tableId);
  w.zeros(1);
  w.u32(f.durationSec);
  w.u32(f.durationNsec);
  w.u16(f.priority);
  w.u16(f.idleTimeout);
  w.u16(f.hardTimeout);
  w.u16(f.flags);
  w.zeros(4);
  w.u64(f.cookie);
  w.u64(f.packetCount);
  w.u64(f.byteCount);
  writeMatch(w, f.match);
  writeInstructions(w, f.instructions);
  w.patchU16(start, w.pos - start);
}

function readFlowStats(r: Reader): FlowStats {
  const at = r.pos;
  const length = r.u16();
  if (length < 56) throw new OpenFlowDecodeError("BAD_LENGTH", `flow stats entry length ${length} < 56`, at);
  const e = r.sub(length - 2, "flow stats entry");
  const tableId = e.u8();
  e.skip(1);
  const durationSec = e.u32();
  const durationNsec = e.u32();
  const priority = e.u16();
  const idleTimeout = e.u16();
  const hardTimeout = e.u16();
  const flags = e.u16();
  e.skip(4);
  const cookie = e.u64();
  const packetCount = e.u64();
  const byteCount = e.u64();
  const match = readMatch(e);
  const instructions = readInstructions(e);
  return {
    tableId,
    durationSec,
    durationNsec,
    priority,
    idleTimeout,
    hardTimeout,
    flags,
    cookie,
    packetCount,
    byteCount,
    match,
    instructions,
  };
}

export function writeMultipartReplyBody(w: Writer, b: MultipartReplyBody): void {
  switch (b.kind) {
    case "desc":
      w.fixedString(b.mfrDesc, 256);
      w.fixedString(b.hwDesc, 256);
      w.fixedString(b.swDesc, 256);
      w.fixedString(b.serialNum, 32);
      w.fixedString(b.dpDesc, 256);
      return;
    case "portDesc":
      for (const p of b.ports) writePort(w, p);
      return;
    case "tableStats":
      for (const t of b.tables) {
        w.u8(t.tableId);
        w.zeros(3);
        w.u32(t.activeCount);
        w.u64(t.lookupCount);
        w.u64(t.matchedCount);
      }
      return;
    case "flowStats":
      for (const f of b.flows) writeFlowStats(w, f);
      return;
    case "aggregate":
      w.u64(b.packetCount);
      w.u64(b.byteCount);
      w.u32(b.flowCount);
      w.zeros(4);
      return;
    case "other":
      w.bytes(b.data);
      return;
  }
}

function repeated<T>(r: Reader, size: number, what: string, read: (r: Reader) => T): T[] {
  if (r.remaining % size !== 0)
    throw new OpenFlowDecodeError("BAD_LENGTH", `${what} body ${r.remaining} is not a multiple of ${size}`, r.pos);
  const out: T[] = [];
  while (r.remaining > 0) out.push(read(r));
  return out;
}

export function readMultipartReplyBody(mpType: number, r: Reader): MultipartReplyBody {
  switch (mpType) {
    case MultipartType.DESC:
      return {
        kind: "desc",
        mfrDesc: r.fixedString(256),
        hwDesc: r.fixedString(256),
        swDesc: r.fixedString(256),
        serialNum: r.fixedString(32),
        dpDesc: r.fixedString(256),
      };
    case MultipartType.PORT_DESC:
      return { kind: "portDesc", ports: repeated(r, PORT_DESC_LEN, "port desc", readPort) };
    case MultipartType.TABLE:
      return {
        kind: "tableStats",
        tables: repeated(r, 24, "table stats", (t) => {
          const tableId = t.u8();
          t.skip(3);
          return { tableId, activeCount: t.u32(), lookupCount: t.u64(), matchedCount: t.u64() };
        }),
      };
    case MultipartType.FLOW: {
      const flows: FlowStats[] = [];
      while (r.remaining > 0) flows.push(readFlowStats(r));
      return { kind: "flowStats", flows };
    }
    case MultipartType.AGGREGATE: {
      const packetCount = r.u64();
      const byteCount = r.u64();
      const flowCount = r.u32();
      r.skip(4);
      return { kind: "aggregate", packetCount, byteCount, flowCount };
    }
    default:
      return { kind: "other", mpType, data: r.bytesView(r.remaining) };
  }
}
