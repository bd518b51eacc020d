import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionArb, matchArb, messageArb } from "../test-support/arbitraries.ts";
import { Reader, Writer } from "./bytes.ts";
import { decodeMessage, encodeMessage } from "./codec.ts";
import type { OpenFlowMessage } from "./messages.ts";
import { readMatch, writeMatch } from "./oxm.ts";
import { readAction, writeAction } from "./actions.ts";

/** fast-check builds records without a prototype; compare against plain objects. */
const plain = <T>(v: T): T => structuredClone(v);

const TYPES: OpenFlowMessage["type"][] = [
  "hello",
  "error",
  "echoRequest",
  "echoReply",
  "experimenter",
  "featuresRequest",
  "featuresReply",
  "getConfigRequest",
  "getConfigReply",
  "setConfig",
  "packetIn",
  "flowRemoved",
  "portStatus",
  "packetOut",
  "flowMod",
  "groupMod",
  "meterMod",
  "multipartRequest",
  "multipartReply",
  "barrierRequest",
  "barrierReply",
  "roleRequest",
  "roleReply",
  "unsupported",
];

describe("codec round trip", () => {
  it("decode(encode(m)) equals m for every message type", () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const wire = encodeMessage(m);
        expect(wire.readUInt16BE(2)).toBe(wire.length);
        expect(decodeMessage(wire)).toStrictEqual(plain(m));
      }),
      { numRuns: 3000 },
    );
  });

  it.each(TYPES)("covers %s", (type) => {
    const only = messageArb.filter((m) => m.type === type);
    fc.assert(
      fc.property(only, (m) => {
        expect(decodeMessage(encodeMessage(m))).toStrictEqual(plain(m));
      }),
      { numRuns: 60 },
    );
  });

  it("round-trips matches, padded to 8 bytes", () => {
    fc.assert(
      fc.property(matchArb, (m) => {
        const w = new Writer();
        writeMatch(w, m);
        expect(w.pos % 8).toBe(0);
        const r = new Reader(w.buf, 0, w.pos);
        expect(readMatch(r)).toStrictEqual(plain(m));
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it("round-trips every action, each a multiple of 8 bytes", () => {
    fc.assert(
      fc.property(actionArb, (a) => {
        const w = new Writer();
        writeAction(w, a);
        expect(w.pos % 8).toBe(0);
        expect(readAction(new Reader(w.buf, 0, w.pos))).toStrictEqual(plain(a));
      }),
    );
  });
});
