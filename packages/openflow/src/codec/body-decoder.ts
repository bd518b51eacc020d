import { MsgType } from "../constants.ts";
import { OpenFlowDecodeError } from "../errors.ts";
import { readActions } from "./actions.ts";
import { Reader } from "./bytes.ts";
import { readBuckets, readMeterBands } from "./group-meter.ts";
import { readInstructions } from "./instructions.ts";
import { FlowModCommandName, MeterBand, OpenFlowMessage } from "./messages.ts";
import { readMultipartReplyBody, readMultipartRequestBody, readPort } from "./multipart.ts";
import { readMatch } from "./oxm.ts";

const COMMANDS: readonly FlowModCommandName[] = ["add", "modify", "modifyStrict", "delete", "deleteStrict"];

/** Read the body of a message of OpenFlow type `type` after its header; unknown types become "unsupported". */
export function decodeBody(type: number, xid: number, version: number, r: Reader): OpenFlowMessage {
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
