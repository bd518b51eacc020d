import { Action } from "./actions.ts";
import { Instruction } from "./instructions.ts";
import { Match } from "./oxm.ts";

/** ofp_port (port description, port status). */
export interface PortDesc {
  portNo: number;
  hwAddr: string;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  currSpeed: number;
  maxSpeed: number;
}

export type FlowModCommandName = "add" | "modify" | "modifyStrict" | "delete" | "deleteStrict";

export interface FlowMod {
  type: "flowMod";
  xid: number;
  cookie: bigint;
  cookieMask: bigint;
  tableId: number;
  command: FlowModCommandName;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  bufferId: number;
  outPort: number;
  outGroup: number;
  /** FlowModFlags bits (SEND_FLOW_REM, CHECK_OVERLAP, …). */
  flags: number;
  match: Match;
  instructions: Instruction[];
}

export interface FlowStats {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface TableStats {
  tableId: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

export interface FlowStatsRequest {
  tableId: number;
  outPort: number;
  outGroup: number;
  cookie: bigint;
  cookieMask: bigint;
  match: Match;
}

export type MultipartRequestBody =
  | { kind: "desc" }
  | { kind: "portDesc" }
  | { kind: "tableStats" }
  | ({ kind: "flowStats" } & FlowStatsRequest)
  | ({ kind: "aggregate" } & FlowStatsRequest)
  | { kind: "other"; mpType: number; data: Uint8Array };

export type MultipartReplyBody =
  | { kind: "desc"; mfrDesc: string; hwDesc: string; swDesc: string; serialNum: string; dpDesc: string }
  | { kind: "portDesc"; ports: PortDesc[] }
  | { kind: "tableStats"; tables: TableStats[] }
  | { kind: "flowStats"; flows: FlowStats[] }
  | { kind: "aggregate"; packetCount: bigint; byteCount: bigint; flowCount: number }
  | { kind: "other"; mpType: number; data: Uint8Array };

export interface Bucket {
  weight: number;
  watchPort: number;
  watchGroup: number;
  actions: Action[];
}

export type MeterBand =
  | { type: "drop"; rate: number; burstSize: number }
  | { type: "dscpRemark"; rate: number; burstSize: number; precLevel: number }
  | { type: "experimenter"; rate: number; burstSize: number; experimenter: number };

/** Every OpenFlow 1.3 message the codec models, discriminated by `type`. */
export type OpenFlowMessage =
  | {
      type: "hello";
      xid: number;
      version: number;
      /** versions from the bitmap element, null when absent */ versions: number[] | null;
    }
  | { type: "error"; xid: number; errorType: number; code: number; data: Uint8Array }
  | { type: "echoRequest"; xid: number; data: Uint8Array }
  | { type: "echoReply"; xid: number; data: Uint8Array }
  | { type: "experimenter"; xid: number; experimenter: number; expType: number; data: Uint8Array }
  | { type: "featuresRequest"; xid: number }
  | {
      type: "featuresReply";
      xid: number;
      datapathId: bigint;
      nBuffers: number;
      nTables: number;
      auxiliaryId: number;
      capabilities: number;
    }
  | { type: "getConfigRequest"; xid: number }
  | { type: "getConfigReply"; xid: number; flags: number; missSendLen: number }
  | { type: "setConfig"; xid: number; flags: number; missSendLen: number }
  | {
      type: "packetIn";
      xid: number;
      bufferId: number;
      totalLen: number;
      reason: number;
      tableId: number;
      cookie: bigint;
      match: Match;
      data: Uint8Array;
    }
  | {
      type: "flowRemoved";
      xid: number;
      cookie: bigint;
      priority: number;
      reason: number;
      tableId: number;
      durationSec: number;
      durationNsec: number;
      idleTimeout: number;
      hardTimeout: number;
      packetCount: bigint;
      byteCount: bigint;
      match: Match;
    }
  | { type: "portStatus"; xid: number; reason: number; port: PortDesc }
  | { type: "packetOut"; xid: number; bufferId: number; inPort: number; actions: Action[]; data: Uint8Array }
  | FlowMod
  | { type: "groupMod"; xid: number; command: number; groupType: number; groupId: number; buckets: Bucket[] }
  | { type: "meterMod"; xid: number; command: number; flags: number; meterId: number; bands: MeterBand[] }
  | { type: "multipartRequest"; xid: number; flags: number; body: MultipartRequestBody }
  | { type: "multipartReply"; xid: number; flags: number; body: MultipartReplyBody }
  | { type: "barrierRequest"; xid: number }
  | { type: "barrierReply"; xid: number }
  | { type: "roleRequest"; xid: number; role: number; generationId: bigint }
  | { type: "roleReply"; xid: number; role: number; generationId: bigint }
  /** A valid header whose type the codec does not model (PORT_MOD, TABLE_MOD, async config…, or beyond). */
  | { type: "unsupported"; xid: number; msgType: number; body: Uint8Array };

export type MessageOf<T extends OpenFlowMessage["type"]> = Extract<OpenFlowMessage, { type: T }>;
