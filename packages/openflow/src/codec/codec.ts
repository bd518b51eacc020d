import { MsgType, OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN, OFP_VERSION } from "../constants.ts";
import { OpenFlowDecodeError, OpenFlowEncodeError } from "../errors.ts";
import { decodeBody } from "./body-decoder.ts";
import { writeBody } from "./body-encoder.ts";
import { Reader, Writer } from "./bytes.ts";
import { OpenFlowMessage } from "./messages.ts";

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
