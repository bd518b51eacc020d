import fc from "fast-check";
import type { FlowStatsRequest, MeterBand, OpenFlowMessage, PortDesc } from "../codec/messages.ts";
import { actionsArb, instructionsArb, matchArb } from "./flow-arbitraries.ts";
import { ascii, bytes, mac, u16, u32, u64, u8 } from "./scalar-arbitraries.ts";

/** fast-check generators for every message the codec models (shared by property tests and benches). */
export { actionArb, actionsArb, instructionArb, matchArb } from "./flow-arbitraries.ts";

export const portArb: fc.Arbitrary<PortDesc> = fc.record({
  portNo: u32,
  hwAddr: mac,
  name: ascii(15),
  config: u32,
  state: u32,
  curr: u32,
  advertised: u32,
  supported: u32,
  peer: u32,
  currSpeed: u32,
  maxSpeed: u32,
});

const flowStatsRequestArb: fc.Arbitrary<FlowStatsRequest> = fc.record({
  tableId: u8,
  outPort: u32,
  outGroup: u32,
  cookie: u64,
  cookieMask: u64,
  match: matchArb,
});
const meterBandArb: fc.Arbitrary<MeterBand> = fc.oneof(
  fc.record({ type: fc.constant("drop" as const), rate: u32, burstSize: u32 }),
  fc.record({ type: fc.constant("dscpRemark" as const), rate: u32, burstSize: u32, precLevel: u8 }),
  fc.record({ type: fc.constant("experimenter" as const), rate: u32, burstSize: u32, experimenter: u32 }),
);
const KNOWN_MP = [0, 1, 2, 3, 13];

const x = { xid: u32 };
export const messageArb: fc.Arbitrary<OpenFlowMessage> = fc.oneof(
  fc.record({
    type: fc.constant("hello" as const),
    ...x,
    version: fc.integer({ min: 1, max: 255 }),
    versions: fc.option(
      fc.uniqueArray(fc.integer({ min: 1, max: 31 }), { minLength: 1 }).map((v) => v.sort((a, b) => a - b)),
      { nil: null },
    ),
  }),
  fc.record({ type: fc.constant("error" as const), ...x, errorType: u16, code: u16, data: bytes(64) }),
  fc.record({ type: fc.constantFrom("echoRequest" as const, "echoReply" as const), ...x, data: bytes(64) }),
  fc.record({ type: fc.constant("experimenter" as const), ...x, experimenter: u32, expType: u32, data: bytes(32) }),
  fc.record({
    type: fc.constantFrom(
      "featuresRequest" as const,
      "getConfigRequest" as const,
      "barrierRequest" as const,
      "barrierReply" as const,
    ),
    ...x,
  }),
  fc.record({
    type: fc.constant("featuresReply" as const),
    ...x,
    datapathId: u64,
    nBuffers: u32,
    nTables: u8,
    auxiliaryId: u8,
    capabilities: u32,
  }),
  fc.record({
    type: fc.constantFrom("getConfigReply" as const, "setConfig" as const),
    ...x,
    flags: u16,
    missSendLen: u16,
  }),
  fc.record({
    type: fc.constant("packetIn" as const),
    ...x,
    bufferId: u32,
    totalLen: u16,
    reason: u8,
    tableId: u8,
    cookie: u64,
    match: matchArb,
    data: bytes(200),
  }),
  fc.record({
    type: fc.constant("flowRemoved" as const),
    ...x,
    cookie: u64,
    priority: u16,
    reason: u8,
    tableId: u8,
    durationSec: u32,
    durationNsec: u32,
    idleTimeout: u16,
    hardTimeout: u16,
    packetCount: u64,
    byteCount: u64,
    match: matchArb,
  }),
  fc.record({ type: fc.constant("portStatus" as const), ...x, reason: u8, port: portArb }),
  fc.record({
    type: fc.constant("packetOut" as const),
    ...x,
    bufferId: u32,
    inPort: u32,
    actions: actionsArb,
    data: bytes(200),
  }),
  fc.record({
    type: fc.constant("flowMod" as const),
    ...x,
    cookie: u64,
    cookieMask: u64,
    tableId: u8,
    command: fc.constantFrom(
      "add" as const,
      "modify" as const,
      "modifyStrict" as const,
      "delete" as const,
      "deleteStrict" as const,
    ),
    idleTimeout: u16,
    hardTimeout: u16,
    priority: u16,
    bufferId: u32,
    outPort: u32,
    outGroup: u32,
    flags: u16,
    match: matchArb,
    instructions: instructionsArb,
  }),
  fc.record({
    type: fc.constant("groupMod" as const),
    ...x,
    command: u16,
    groupType: u8,
    groupId: u32,
    buckets: fc.array(fc.record({ weight: u16, watchPort: u32, watchGroup: u32, actions: actionsArb }), {
      maxLength: 4,
    }),
  }),
  fc.record({
    type: fc.constant("meterMod" as const),
    ...x,
    command: u16,
    flags: u16,
    meterId: u32,
    bands: fc.array(meterBandArb, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant("multipartRequest" as const),
    ...x,
    flags: u16,
    body: fc.oneof(
      fc.constantFrom({ kind: "desc" as const }, { kind: "portDesc" as const }, { kind: "tableStats" as const }),
      flowStatsRequestArb.map((q) => ({ kind: "flowStats" as const, ...q })),
      flowStatsRequestArb.map((q) => ({ kind: "aggregate" as const, ...q })),
      fc.record({
        kind: fc.constant("other" as const),
        mpType: u16.filter((t) => !KNOWN_MP.includes(t)),
        data: bytes(64),
      }),
    ),
  }),
  fc.record({
    type: fc.constant("multipartReply" as const),
    ...x,
    flags: u16,
    body: fc.oneof(
      fc.record({
        kind: fc.constant("desc" as const),
        mfrDesc: ascii(40),
        hwDesc: ascii(40),
        swDesc: ascii(40),
        serialNum: ascii(31),
        dpDesc: ascii(40),
      }),
      fc.record({ kind: fc.constant("portDesc" as const), ports: fc.array(portArb, { maxLength: 5 }) }),
      fc.record({
        kind: fc.constant("tableStats" as const),
        tables: fc.array(fc.record({ tableId: u8, activeCount: u32, lookupCount: u64, matchedCount: u64 }), {
          maxLength: 8,
        }),
      }),
      fc.record({
        kind: fc.constant("flowStats" as const),
        flows: fc.array(
          fc.record({
            tableId: u8,
            durationSec: u32,
            durationNsec: u32,
            priority: u16,
            idleTimeout: u16,
            hardTimeout: u16,
            flags: u16,
            cookie: u64,
            packetCount: u64,
            byteCount: u64,
            match: matchArb,
            instructions: instructionsArb,
          }),
          { maxLength: 3 },
        ),
      }),
      fc.record({ kind: fc.constant("aggregate" as const), packetCount: u64, byteCount: u64, flowCount: u32 }),
      fc.record({
        kind: fc.constant("other" as const),
        mpType: u16.filter((t) => !KNOWN_MP.includes(t)),
        data: bytes(64),
      }),
    ),
  }),
  fc.record({
    type: fc.constantFrom("roleRequest" as const, "roleReply" as const),
    ...x,
    role: u32,
    generationId: u64,
  }),
  fc.record({
    type: fc.constant("unsupported" as const),
    ...x,
    msgType: fc.oneof(fc.constantFrom(16, 17, 22, 23, 26, 27, 28), fc.integer({ min: 30, max: 255 })),
    body: bytes(64),
  }),
);
