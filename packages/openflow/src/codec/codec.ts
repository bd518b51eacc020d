import { FlowModCommand, MsgType, OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN, OFP_VERSION } from "../constants.ts";
import { OpenFlowDecodeError, OpenFlowEncodeError } from "../errors.ts";
import { readActions, writeActions } from "./actions.ts";
import { checkUint, Reader, Writer } from "./bytes.ts";
import { readInstructions, writeInstructions } from "./instructions.ts";
import { FlowModCommandName, MeterBand, OpenFlowMessage } from "./messages.ts";
import {
  multipartTypeOf,
  readMultipartReplyBody,
  readMultipartRequestBody,
  readPort,
  writeMultipartReplyBody,
  writeMultipartRequestBody,
  writePort,
} from "./multipart.ts";
import { readMatch, writeMatch } from "./oxm.ts";
import { writeMeterBands, readMeterBands, writeBuckets, readBuckets } from "./group-meter.ts";

const TYPE_CODE: Record<Exclude<OpenFlowMessage["type"], "unsupported">, number> = {
  hello: MsgType.HELLO,
  error: MsgType.ERROR,
  echoRequest: MsgType.ECHO_REQUEST,
  echoReply: MsgType.ECHO_REPLY,
  experimenter: MsgType.EXPERIMENTER,
  featuresRequest: MsgType.FEATURES_REQUEST,
  featuresReply: MsgType.FEATURES_REPLY,
  getConfigRequest: MsgType.GET_CONFIG_REQUEST,
  getConfigReply: MsgType.GET_CONFIG_REPLY,
  setConfig: MsgType.SET_CONFIG,
  packetIn: MsgType.PACKET_IN,
  flowRemoved: MsgType.FLOW_REMOVED,
  portStatus: MsgType.PORT_STATUS,
  packetOut: MsgType.PACKET_OUT,
  flowMod: MsgType.FLOW_MOD,
  groupMod: MsgType.GROUP_MOD,
  meterMod: MsgType.METER_MOD,
  multipartRequest: MsgType.MULTIPART_REQUEST,
  multipartReply: MsgType.MULTIPART_REPLY,
  barrierRequest: MsgType.BARRIER_REQUEST,
  barrierReply: MsgType.BARRIER_REPLY,
  roleRequest: MsgType.ROLE_REQUEST,
  roleReply: MsgType.ROLE_REPLY,
};

const COMMANDS: readonly FlowModCommandName[] = ["add", "modify", "modifyStrict", "delete", "deleteStrict"];
const COMMAND_CODE: Record<FlowModCommandName, number> = {
  add: FlowModCommand.ADD,
  modify: FlowModCommand.MODIFY,
  modifyStrict: FlowModCommand.MODIFY_STRICT,
  delete: FlowModCommand.DELETE,
  deleteStrict: FlowModCommand.DELETE_STRICT,
};

function writeBody(w: Writer, m: OpenFlowMessage): void {
  switch (m.type) {
    case "hello":
      if (m.versions) {
        let bitmap = 0;
        for (const v of m.versions) {
          if (!Number.isInteger(v) || v < 0 || v > 31)
            throw new OpenFlowEncodeError(`hello version ${v} outside one 32-bit bitmap`);
          bitmap |= 1 << v;
        }
        w.u16(1);
        w.u16(8);
        w.u32(bitmap >>> 0);
      }
      return;
    case "error":
      w.u16(m.errorType);
      w.u16(m.code);
      w.bytes(m.data);
      return;
    case "echoRequest":
    case "echoReply":
      w.bytes(m.data);
      return;
    case "experimenter":
      w.u32(m.experimenter);
      w.u32(m.expType);
      w.bytes(m.data);
      return;
    case "featuresRequest":
    case "getConfigRequest":
    case "barrierRequest":
    case "barrierReply":
      return;
    case "featuresReply":
      w.u64(m.datapathId);
      w.u32(m.nBuffers);
      w.u8(m.nTables);
      w.u8(m.auxiliaryId);
      w.zeros(2);
      w.u32(m.capabilities);
      w.u32(0);
      return;
    case "getConfigReply":
    case "setConfig":
      w.u16(m.flags);
      w.u16(m.missSendLen);
      return;
    case "packetIn":
      checkUint(m.totalLen, 16, "totalLen");
      w.u32(m.bufferId);
      w.u16(m.totalLen);
      w.u8(m.reason);
      w.u8(m.tableId);
      w.u64(m.cookie);
      writeMatch(w, m.match);
      w.zeros(2);
      w.bytes(m.data);
      return;
    case "flowRemoved":
      w.u64(m.cookie);
      w.u16(m.priority);
      w.u8(m.reason);
      w.u8(m.tableId);
      w.u32(m.durationSec);
      w.u32(m.durationNsec);
      w.u16(m.idleTimeout);
      w.u16(m.hardTimeout);
      w.u64(m.packetCount);
      w.u64(m.byteCount);
      writeMatch(w, m.match);
      return;
    case "portStatus":
      w.u8(m.reason);
      w.zeros(7);
      writePort(w, m.port);
      return;
    case "packetOut": {
      w.u32(m.bufferId);
      w.u32(m.inPort);
      const lenAt = w.pos;
      w.u16(0);
      w.zeros(6);
      writeActions(w, m.actions);
      w.patchU16(lenAt, w.pos - lenAt - 8);
      w.bytes(m.data);
      return;
    }
    case "flowMod":
      checkUint(m.tableId, 8, "tableId");
      checkUint(m.priority, 16, "priority");
      checkUint(m.idleTimeout, 16, "idleTimeout");
      checkUint(m.hardTimeout, 16, "hardTimeout");
      w.u64(m.cookie);
      w.u64(m.cookieMask);
      w.u8(m.tableId);
      w.u8(COMMAND_CODE[m.command]);
      w.u16(m.idleTimeout);
      w.u16(m.hardTimeout);
      w.u16(m.priority);
      w.u32(m.bufferId);
      w.u32(m.outPort);
      w.u32(m.outGroup);
      w.u16(m.flags);
      w.zeros(2);
      writeMatch(w, m.match);
      writeInstructions(w, m.instructions);
      return;
    case "groupMod":
      w.u16(m.command);
      w.u8(m.groupType);
      w.zeros(1);
      w.u32(m.groupId);
      writeBuckets(w, m.buckets);
      return;
    case "meterMod":
      w.u16(m.command);
      w.u16(m.flags);
      w.u32(m.meterId);
      writeMeterBands(w, m.bands);
      return;
    case "multipartRequest":
      w.u16(multipartTypeOf(m.body));
      w.u16(m.flags);
      w.zeros(4);
      writeMultipartRequestBody(w, m.body);
      return;
    case "multipartReply":
      w.u16(multipartTypeOf(m.body));
      w.u16(m.flags);
      w.zeros(4);
      writeMultipartReplyBody(w, m.body);
      return;
    case "roleRequest":
    case "roleReply":
      w.u32(m.role);
      w.zeros(4);
      w.u64(m.generationId);
      return;
    case "unsupported":
      w.bytes(m.body);
      return;
  }
}

/** Append one encoded message to `w` (no allocation unless `w` must grow). Returns its length. */
export function encodeInto(w: Writer, m: OpenFlowMessage): number {
  const start = w.pos;
  try {
    w.u8(m.type === "hello" ? m.version : OFP_VERSION);
    w.u8(m.type === "unsupported" ? m.msgType : TYPE_CODE[m.type]);
    w.u16(0);
    w.u32(m.xid);
    writeBody(w, m);
    const len = w.pos - start;
    if (len > OFP_MAX_MESSAGE_LEN)
      throw new OpenFlowEncodeError(`message of ${len} bytes exceeds the 64 KiB OpenFlow limit`);
    w.patchU16(start + 2, len);
    return len;
  } catch (e) {
    w.pos = start;
    if (e instanceof OpenFlowEncodeError) throw e;
    throw new OpenFlowEncodeError(`cannot encode ${m.type}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const scratch = new Writer(OFP_MAX_MESSAGE_LEN + 1024);

/** Encode one message into a fresh Buffer of exactly its length. */
export function encodeMessage(m: OpenFlowMessage): Buffer {
  scratch.reset();
  encodeInto(scratch, m);
  return scratch.take();
}

function decodeBody(type: number, xid: number, version: number, r: Reader): OpenFlowMessage {
  switch (type) {
    case MsgType.HELLO: {
      let versions: number[] | null = null;
      while (r.remaining >= 4) {
        const at = r.pos;
        const etype = r.u16();
        const elen = r.u16();
        if (elen < 4) throw new OpenFlowDecodeError("BAD_LENGTH", `hello element length ${elen} < 4`, at);
        const e = r.sub(elen - 4, "hello element");
        r.skip(Math.min(r.remaining, (8 - (elen % 8)) % 8));
        if (etype === 1 && versions === null) {
          versions = [];
          for (let word = 0; e.remaining >= 4; word++) {
            const bits = e.u32();
            for (let b = 0; b < 32; b++) if (bits & (1 << b)) versions.push(word * 32 + b);
          }
        }
      }
      return { type: "hello", xid, version, versions };
    }
    case MsgType.ERROR:
      return { type: "error", xid, errorType: r.u16(), code: r.u16(), data: r.bytesView(r.remaining) };
    case MsgType.ECHO_REQUEST:
      return { type: "echoRequest", xid, data: r.bytesView(r.remaining) };
    case MsgType.ECHO_REPLY:
      return { type: "echoReply", xid, data: r.bytesView(r.remaining) };
    case MsgType.EXPERIMENTER:
      return { type: "experimenter", xid, experimenter: r.u32(), expType: r.u32(), data: r.bytesView(r.remaining) };
    case MsgType.FEATURES_REQUEST:
      return { type: "featuresRequest", xid };
    case MsgType.FEATURES_REPLY: {
      const datapathId = r.u64();
      const nBuffers = r.u32();
      const nTables = r.u8();
      const auxiliaryId = r.u8();
      r.skip(2);
      const capabilities = r.u32();
      r.skip(4);
      return { type: "featuresReply", xid, datapathId, nBuffers, nTables, auxiliaryId, capabilities };
    }
    case MsgType.GET_CONFIG_REQUEST:
      return { type: "getConfigRequest", xid };
    case MsgType.GET_CONFIG_REPLY:
    case MsgType.SET_CONFIG:
      return {
        type: type === MsgType.SET_CONFIG ? "setConfig" : "getConfigReply",
        xid,
        flags: r.u16(),
        missSendLen: r.u16(),
      };
    case MsgType.PACKET_IN: {
      const bufferId = r.u32();
      const totalLen = r.u16();
      const reason = r.u8();
      const tableId = r.u8();
      const cookie = r.u64();
      const match = readMatch(r);
      r.skip(2);
      return {
        type: "packetIn",
        xid,
        bufferId,
        totalLen,
        reason,
        tableId,
        cookie,
        match,
        data: r.bytesView(r.remaining),
      };
    }
    case MsgType.FLOW_REMOVED: {
      const cookie = r.u64();
      const priority = r.u16();
      const reason = r.u8();
      const tableId = r.u8();
      const durationSec = r.u32();
      const durationNsec = r.u32();
      const idleTimeout = r.u16();
      const hardTimeout = r.u16();
      const packetCount = r.u64();
      const byteCount = r.u64();
      const match = readMatch(r);
      return {
        type: "flowRemoved",
        xid,
        cookie,
        priority,
        reason,
        tableId,
        durationSec,
        durationNsec,
        idleTimeout,
        hardTimeout,
        packetCount,
        byteCount,
        match,
      };
    }
    case MsgType.PORT_STATUS: {
      const reason = r.u8();
      r.skip(7);
      return { type: "portStatus", xid, reason, port: readPort(r) };
    }
    case MsgType.PACKET_OUT: {
      const bufferId = r.u32();
      const inPort = r.u32();
      const actionsLen = r.u16();
      r.skip(6);
      const actions = readActions(r.sub(actionsLen, "packet-out actions"));
      return { type: "packetOut", xid, bufferId, inPort, actions, data: r.bytesView(r.remaining) };
    }
    case MsgType.FLOW_MOD: {
      const cookie = r.u64();
      const cookieMask = r.u64();
      const tableId = r.u8();
      const cmd = r.u8();
      const command = COMMANDS[cmd];
      if (command === undefined) throw new OpenFlowDecodeError("BAD_VALUE", `flow-mod command ${cmd}`, r.pos - 1);
      const idleTimeout = r.u16();
      const hardTimeout = r.u16();
      const priority = r.u16();
      const bufferId = r.u32();
      const outPort = r.u32();
      const outGroup = r.u32();
      const flags = r.u16();
      r.skip(2);
      const match = readMatch(r);
      const instructions = readInstructions(r);
      return {
        type: "flowMod",
        xid,
        cookie,
        cookieMask,
        tableId,
        command,
        idleTimeout,
        hardTimeout,
        priority,
        bufferId,
        outPort,
        outGroup,
        flags,
        match,
        instructions,
      };
    }
    case MsgType.GROUP_MOD: {
      const command = r.u16();
      const groupType = r.u8();
      r.skip(1);
      const groupId = r.u32();
      return { type: "groupMod", xid, command, groupType, groupId, buckets: readBuckets(r) };
    }
    case MsgType.METER_MOD: {
      const command = r.u16();
      const flags = r.u16();
      const meterId = r.u32();
      const bands: MeterBand[] = readMeterBands(r);
      return { type: "meterMod", xid, command, flags, meterId, bands };
    }
    case MsgType.MULTIPART_REQUEST:
    case MsgType.MULTIPART_REPLY: {
      const mpType = r.u16();
      const flags = r.u16();
      r.skip(4);
      return type === MsgType.MULTIPART_REQUEST
        ? { type: "multipartRequest", xid, flags, body: readMultipartRequestBody(mpType, r) }
        : { type: "multipartReply", xid, flags, body: readMultipartReplyBody(mpType, r) };
    }
    case MsgType.BARRIER_REQUEST:
      return { type: "barrierRequest", xid };
    case MsgType.BARRIER_REPLY:
      return { type: "barrierReply", xid };
    case MsgType.ROLE_REQUEST:
    case MsgType.ROLE_REPLY: {
      const role = r.u32();
      r.skip(4);
      return { type: type === MsgType.ROLE_REQUEST ? "roleRequest" : "roleReply", xid, role, generationId: r.u64() };
    }
    default:
      return { type: "unsupported", xid, msgType: type, body: r.bytesView(r.remaining) };
  }
}

/**
 * Decode exactly one message. `bytes` must hold the whole message and nothing else.
 * Throws only OpenFlowDecodeError. Byte fields (data, body) are views into `bytes`, not copies.
 */
export function decodeMessage(bytes: Uint8Array, maxLength = OFP_MAX_MESSAGE_LEN): OpenFlowMessage {
  try {
    if (bytes.length < OFP_HEADER_LEN)
      throw new OpenFlowDecodeError("TRUNCATED", `${bytes.length} bytes is shorter than a header`, 0);
    const r = new Reader(bytes, 0, bytes.length);
    const version = r.u8();
    const type = r.u8();
    const length = r.u16();
    const xid = r.u32();
    if (length > maxLength)
      throw new OpenFlowDecodeError("TOO_LONG", `message length ${length} exceeds cap ${maxLength}`, 2);
    if (length !== bytes.length)
      throw new OpenFlowDecodeError("BAD_LENGTH", `header says ${length} bytes, got ${bytes.length}`, 2);
    if (version !== OFP_VERSION && type !== MsgType.HELLO && type !== MsgType.ERROR) {
      throw new OpenFlowDecodeError("BAD_VERSION", `version ${version} is not OpenFlow 1.3`, 0);
    }
    return decodeBody(type, xid, version, r);
  } catch (e) {
    if (e instanceof OpenFlowDecodeError) throw e;
    throw new OpenFlowDecodeError("INTERNAL", `decoder failure: ${e instanceof Error ? e.message : String(e)}`);
  }
}
