export * from "./constants.ts";
export * from "./errors.ts";
export { Reader, Writer } from "./codec/bytes.ts";
export {
  bytesToHex,
  bytesToIpv6,
  bytesToMac,
  hexToBytes,
  ipv4ToNumber,
  ipv6ToBytes,
  macToBytes,
  numberToIpv4,
} from "./codec/addresses.ts";
export type { Match, MatchFieldName, RawOxm } from "./codec/oxm.ts";
export { MATCH_FIELDS } from "./codec/oxm.ts";
export type { Action, CtAction, NatAction, SetFieldAction } from "./codec/actions.ts";
export type { Instruction } from "./codec/instructions.ts";
export type * from "./codec/messages.ts";
export { decodeMessage, encodeInto, encodeMessage } from "./codec/codec.ts";
export { flowMod, flowStatsRequest } from "./codec/builders.ts";
export { Framer } from "./session/framer.ts";
export { SwitchSession } from "./session/switch-session.ts";
export { OpenFlowServer } from "./session/server.ts";
export type { OpenFlowServerOptions, OpenFlowTlsOptions } from "./session/server.ts";
export type * from "./session/types.ts";
export { silentLogger } from "./session/types.ts";
export {
  controllerIdAction,
  decodeSettleFrame,
  encodeSettleFrame,
  SETTLE_CONTROLLER_ID,
  SETTLE_ETHERTYPE,
  setControllerIdMessage,
  settleAnswerOut,
  settleFrameOf,
  settleRequestOut,
} from "./settle.ts";
export type { SettleFrame } from "./settle.ts";
