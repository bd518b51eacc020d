import { NX_VENDOR_ID, NO_BUFFER, Port } from "./constants.ts";
import type { Action } from "./codec/actions.ts";
import type { MessageOf } from "./codec/messages.ts";

/**
 * The datapath-settle exchange between a controller and the agent on the switch's host, carried in
 * OpenFlow itself so it needs no other channel. A flow deleted from the tables (and confirmed by a
 * barrier) can still forward packets from ovs-vswitchd's datapath cache until its revalidator
 * threads have gone over the cached flows; only the host can wait for that (`revalidator/wait`).
 *
 * - The controller asks with a PACKET_OUT whose only action is Nicira `controller(id=SETTLE_CONTROLLER_ID)`:
 *   ovs-vswitchd hands it, as a PACKET_IN, only to connections that set that controller id (the
 *   agent's, on the bridge's local management socket), never to the controller itself.
 * - The agent answers with a PACKET_OUT to `output:CONTROLLER`: the controller receives a PACKET_IN
 *   whose in_port is CONTROLLER. No packet entering the switch from a port can carry that in_port,
 *   so only a process with OpenFlow access to the switch (root on its host) can answer.
 *
 * The frame: Ethernet to and from the zero address with the IEEE local experimental ethertype,
 * then "NVIS", a version, the kind, the asking session's epoch (random per controller session, so
 * an answer meant for an earlier session is never taken for this one's; 0 in the agent's
 * unasked announcement), the sequence number it asks for or covers, and (for a failure) a short
 * reason in UTF-8.
 */
export const SETTLE_ETHERTYPE = 0x88b5;
/** The controller id the agent's management connection sets (NXT_SET_CONTROLLER_ID); the TSC's is 0. */
export const SETTLE_CONTROLLER_ID = 0x4e56;
const MAGIC = [0x4e, 0x56, 0x49, 0x53]; // "NVIS"
const VERSION = 1;
const HEADER = 14 + 4 + 1 + 1 + 4 + 4;
const MAX_REASON_BYTES = 200;
const NXAST_CONTROLLER = 20;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NXT_SET_CONTROLLER_ID = 20;

export type SettleFrame =
  /** the controller asks: every flow change sent before this must be out of the datapath's cache */
  | { kind: "request"; epoch: number; seq: number }
  /** the host answers: a full revalidation round began after request `seq` arrived, and has ended */
  | { kind: "settled"; epoch: number; seq: number }
  /** the host could not wait (e.g. ovs-vswitchd refused `revalidator/wait`) */
  | { kind: "failed"; epoch: number; seq: number; reason: string };

const KIND = { request: 1, settled: 2, failed: 3 } as const;

export function encodeSettleFrame(f: SettleFrame): Uint8Array {
  const reason = f.kind === "failed" ? new TextEncoder().encode(f.reason).slice(0, MAX_REASON_BYTES) : new Uint8Array();
  const out = new Uint8Array(HEADER + reason.length);
  const view = new DataView(out.buffer);
  view.setUint16(12, SETTLE_ETHERTYPE);
  out.set(MAGIC, 14);
  out[18] = VERSION;
  out[19] = KIND[f.kind];
  view.setUint32(20, f.epoch >>> 0);
  view.setUint32(24, f.seq >>> 0);
  out.set(reason, HEADER);
  return out;
}

/** The frame, or undefined for anything else (any other packet, another version, a malformed one). */
export function decodeSettleFrame(data: Uint8Array): SettleFrame | undefined {
  if (data.length < HEADER || data.length > HEADER + MAX_REASON_BYTES) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint16(12) !== SETTLE_ETHERTYPE || MAGIC.some((b, i) => data[14 + i] !== b)) return undefined;
  if (data[18] !== VERSION) return undefined;
  const epoch = view.getUint32(20);
  const seq = view.getUint32(24);
  switch (data[19]) {
    case KIND.request:
      return data.length === HEADER ? { kind: "request", epoch, seq } : undefined;
    case KIND.settled:
      return data.length === HEADER ? { kind: "settled", epoch, seq } : undefined;
    case KIND.failed:
      // the host's words end up in an operation's error: one line, no control characters
      return {
        kind: "failed",
        epoch,
        seq,
        reason: new TextDecoder().decode(data.subarray(HEADER)).replace(CONTROL, " "),
      };
    default:
      return undefined;
  }
}

/** A PACKET_IN carrying a settle frame that only an OpenFlow connection to this switch can have sent (in_port CONTROLLER). */
export function settleFrameOf(m: MessageOf<"packetIn">): SettleFrame | undefined {
  return m.match.inPort === Port.CONTROLLER ? decodeSettleFrame(m.data) : undefined;
}

/** Nicira `controller(id=…, reason=action)`: a PACKET_IN for the connections with that controller id only. */
export function controllerIdAction(controllerId: number): Action {
  const data = new Uint8Array(8);
  const view = new DataView(data.buffer);
  view.setUint16(0, NXAST_CONTROLLER);
  view.setUint16(2, 0xffff); // max_len: the whole frame
  view.setUint16(4, controllerId);
  data[6] = 1; // reason: OFPR_ACTION
  return { type: "experimenter", experimenter: NX_VENDOR_ID, data };
}

/** NXT_SET_CONTROLLER_ID: this connection's controller id (PACKET_INs of `controller(id=…)` go by it). */
export function setControllerIdMessage(controllerId: number): MessageOf<"experimenter"> {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setUint16(6, controllerId);
  return { type: "experimenter", xid: 0, experimenter: NX_VENDOR_ID, expType: NXT_SET_CONTROLLER_ID, data };
}

/** The controller's request, for the agent's connection only. */
export function settleRequestOut(epoch: number, seq: number): MessageOf<"packetOut"> {
  return {
    type: "packetOut",
    xid: 0,
    bufferId: NO_BUFFER,
    inPort: Port.CONTROLLER,
    actions: [controllerIdAction(SETTLE_CONTROLLER_ID)],
    data: encodeSettleFrame({ kind: "request", epoch, seq }),
  };
}

/** The agent's answer, for the controllers (id 0). */
export function settleAnswerOut(frame: Exclude<SettleFrame, { kind: "request" }>): MessageOf<"packetOut"> {
  return {
    type: "packetOut",
    xid: 0,
    bufferId: NO_BUFFER,
    inPort: Port.CONTROLLER,
    actions: [{ type: "output", port: Port.CONTROLLER }],
    data: encodeSettleFrame(frame),
  };
}
