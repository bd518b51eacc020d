import fc from "fast-check";
import { bytesToIpv6, bytesToMac, numberToIpv4 } from "../codec/addresses.ts";
import type { Action, NatAction } from "../codec/actions.ts";
import type { Instruction } from "../codec/instructions.ts";
import type { FlowStatsRequest, MeterBand, OpenFlowMessage, PortDesc } from "../codec/messages.ts";
import { MATCH_FIELDS, type Match, type MatchFieldName } from "../codec/oxm.ts";
import { NX_VENDOR_ID, Port } from "../constants.ts";

/** fast-check generators for every message the codec models (shared by property tests and benches). */
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => bytesToMac(b));
const ipv4 = u32.map(numberToIpv4);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIpv6(b));
const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
/** Lengths ≡ 4 (mod 8): the body of an unknown action/instruction after its 4-byte header. */
const body4 = fc
  .integer({ min: 0, max: 5 })
  .chain((n) => fc.uint8Array({ minLength: n * 8 + 4, maxLength: n * 8 + 4 }));
const ascii = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[ -~]{0,${max}}$`));

const KIND_ARB: Record<string, fc.Arbitrary<number | bigint | string>> = { u8, u16, u32, u64, mac, ipv4, ipv6 };

function valueArb(name: MatchFieldName): fc.Arbitrary<number | bigint | string> {
  const def = MATCH_FIELDS.find((f) => f.name === name);
  if (!def) throw new Error(name);
  return KIND_ARB[def.kind] ?? u8;
}

export const matchArb: fc.Arbitrary<Match> = fc
  .tuple(
    ...MATCH_FIELDS.map((def) =>
      fc.option(
        fc.tuple(
          valueArb(def.name),
          def.mask ? fc.option(valueArb(def.name), { nil: undefined }) : fc.constant(undefined),
        ),
        { nil: undefined, freq: 3 },
      ),
    ),
    fc.option(
      fc.array(
        fc.record({
          oxmClass: fc.constant(0x0001),
          field: fc.integer({ min: 0, max: 100 }),
          hasMask: fc.boolean(),
          value: bytes(12),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      { nil: undefined, freq: 4 },
    ),
  )
  .map((parts) => {
    const m: Record<string, unknown> = {};
    MATCH_FIELDS.forEach((def, i) => {
      const entry = parts[i] as [unknown, unknown] | undefined;
      if (!entry) return;
      m[def.name] = entry[0];
      if (def.mask && entry[1] !== undefined) m[def.mask] = entry[1];
    });
    const extra = parts[MATCH_FIELDS.length];
    if (extra) m.extra = extra;
    return m;
  });

const setFieldArb: fc.Arbitrary<Action> = fc
  .constantFrom(...MATCH_FIELDS.map((f) => f.name))
  .chain((field) => valueArb(field).map((value) => ({ type: "setField", field, value }) as Action));

const natArb: fc.Arbitrary<NatAction> = fc.record(
  {
    type: fc.constant("nat" as const),
    kind: fc.constantFrom("src" as const, "dst" as const),
    persistent: fc.constant(true as const),
    protoHash: fc.constant(true as const),
    protoRandom: fc.constant(true as const),
    ipv4Min: ipv4,
    ipv4Max: ipv4,
    ipv6Min: ipv6,
    ipv6Max: ipv6,
    protoMin: u16,
    protoMax: u16,
  },
  { requiredKeys: ["type"] },
);

const simpleActionArb: fc.Arbitrary<Action> = fc.oneof(
  fc
    .record({
      port: fc.oneof(u32, fc.constantFrom(Port.CONTROLLER, Port.IN_PORT, Port.LOCAL)),
      maxLen: fc.option(u16, { nil: undefined }),
    })
    .map(({ port, maxLen }) =>
      maxLen === undefined || maxLen === (port === Port.CONTROLLER ? 0xffff : 0)
        ? { type: "output", port }
        : { type: "output", port, maxLen },
    ),
  u32.map((groupId) => ({ type: "group", groupId })),
  u16.map((ethertype) => ({ type: "pushVlan", ethertype })),
  fc.constant({ type: "popVlan" }),
  fc.constant({ type: "decNwTtl" }),
  u8.map((ttl) => ({ type: "setNwTtl", ttl })),
  setFieldArb,
  setFieldArb,
  fc
    .record({ experimenter: u32.filter((v) => v !== NX_VENDOR_ID), n: fc.integer({ min: 0, max: 3 }) })
    .chain(({ experimenter, n }) =>
      fc
        .uint8Array({ minLength: n * 8, maxLength: n * 8 })
        .map((data) => ({ type: "experimenter", experimenter, data })),
    ),
  fc
    .record({
      actionType: fc.integer({ min: 0, max: 0xfffe }).filter((t) => ![0, 17, 18, 22, 23, 24, 25].includes(t)),
      data: body4,
    })
    .map(({ actionType, data }) => ({ type: "unknown", actionType, data })),
) as fc.Arbitrary<Action>;

const ctArb: fc.Arbitrary<Action> = fc.record(
  {
    type: fc.constant("ct" as const),
    commit: fc.boolean(),
    force: fc.boolean(),
    zone: u16,
    table: fc.integer({ min: 0, max: 254 }),
    alg: fc.integer({ min: 1, max: 0xffff }),
    actions: fc.array(fc.oneof(natArb, setFieldArb), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ["type", "commit", "force", "zone"] },
);

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: simpleActionArb },
  { weight: 1, arbitrary: ctArb },
);
export const actionsArb = fc.array(actionArb, { maxLength: 6 });

export const instructionArb: fc.Arbitrary<Instruction> = fc.oneof(
  u8.map((tableId) => ({ type: "gotoTable" as const, tableId })),
  fc.record({ type: fc.constant("writeMetadata" as const), metadata: u64, mask: u64 }),
  actionsArb.map((actions) => ({ type: "writeActions" as const, actions })),
  actionsArb.map((actions) => ({ type: "applyActions" as const, actions })),
  fc.constant({ type: "clearActions" as const }),
  u32.map((meterId) => ({ type: "meter" as const, meterId })),
  fc.record({
    type: fc.constant("unknownInstruction" as const),
    instructionType: fc.integer({ min: 7, max: 0xffff }),
    data: body4,
  }),
);
const instructionsArb = fc.array(instructionArb, { maxLength: 4 });

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
