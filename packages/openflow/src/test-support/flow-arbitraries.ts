import fc from "fast-check";
import type { Action, NatAction } from "../codec/actions.ts";
import type { Instruction } from "../codec/instructions.ts";
import { MATCH_FIELDS, type Match, type MatchFieldName } from "../codec/oxm.ts";
import { NX_VENDOR_ID, Port } from "../constants.ts";
import { body4, bytes, ipv4, ipv6, mac, u16, u32, u64, u8 } from "./scalar-arbitraries.ts";

/** fast-check generators for what a flow is made of: matches, actions and instructions. */
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
export const instructionsArb = fc.array(instructionArb, { maxLength: 4 });
