import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpenFlowDecodeError } from "../errors.ts";
import { Framer } from "../session/framer.ts";
import { messageArb } from "../test-support/arbitraries.ts";
import { decodeMessage, encodeMessage } from "./codec.ts";

/** Decoding garbage must end in a value or an OpenFlowDecodeError — never another exception, never a hang. */
function decodesOrTypedError(bytes: Uint8Array): void {
  try {
    decodeMessage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(OpenFlowDecodeError);
  }
}

/** Keep the header's length equal to the buffer so the body parser (not the length check) sees the damage. */
function withLength(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  if (out.length >= 4) new DataView(out.buffer).setUint16(2, out.length);
  return out;
}

describe("decoder robustness", () => {
  it("random bytes only ever raise OpenFlowDecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => decodesOrTypedError(b)),
      { numRuns: 5000 },
    );
  });

  it("random bodies behind a valid header for every type only raise OpenFlowDecodeError", () => {
    const arb = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 400 })).map(([type, body]) => {
      const b = new Uint8Array(8 + body.length);
      b.set([4, type], 0);
      b.set(body, 8);
      return withLength(b);
    });
    fc.assert(
      fc.property(arb, (b) => decodesOrTypedError(b)),
      { numRuns: 20000 },
    );
  });

  it("truncated valid messages only raise OpenFlowDecodeError", () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (m, cut) => {
        const wire = encodeMessage(m);
        const n = cut % (wire.length + 1);
        decodesOrTypedError(wire.subarray(0, n));
        decodesOrTypedError(withLength(wire.subarray(0, n)));
      }),
      { numRuns: 3000 },
    );
  });

  it("bit-flipped valid messages only raise OpenFlowDecodeError", () => {
    fc.assert(
      fc.property(
        messageArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        (m, flips) => {
          const wire = Uint8Array.from(encodeMessage(m));
          for (const [at, bit] of flips) {
            const i = 4 + (at % Math.max(1, wire.length - 4));
            if (i < wire.length) wire[i] = (wire[i] ?? 0) ^ (1 << bit);
          }
          decodesOrTypedError(wire);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("rejects a header whose length disagrees with the bytes", () => {
    const wire = Uint8Array.from(encodeMessage({ type: "barrierRequest", xid: 7 }));
    new DataView(wire.buffer).setUint16(2, 9);
    expect(() => decodeMessage(wire)).toThrow(OpenFlowDecodeError);
  });

  it("rejects zero-length TLVs instead of looping on them", () => {
    // flow-mod with an apply-actions instruction holding one action of length 0
    const wire = Uint8Array.from(
      encodeMessage({
        type: "packetOut",
        xid: 1,
        bufferId: 0,
        inPort: 1,
        actions: [{ type: "popVlan" }],
        data: new Uint8Array(),
      }),
    );
    new DataView(wire.buffer).setUint16(24 + 2, 0); // the action's len field
    expect(() => decodeMessage(wire)).toThrow(/action length 0/);
  });

  it("enforces a lower cap on message length", () => {
    const wire = encodeMessage({ type: "echoRequest", xid: 1, data: new Uint8Array(200) });
    expect(() => decodeMessage(wire, 100)).toThrow(OpenFlowDecodeError);
  });
});

describe("framer", () => {
  it("reassembles messages from arbitrary chunking", () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map((m) => encodeMessage(m)));
          const framer = new Framer();
          const got: Buffer[] = [];
          let off = 0;
          for (let i = 0; off < stream.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            framer.push(stream.subarray(off, off + n), (f) => got.push(Buffer.from(f)));
            off += n;
          }
          expect(got.map((f) => f.toString("hex"))).toEqual(msgs.map((m) => encodeMessage(m).toString("hex")));
          expect(framer.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a length below the header size or above the cap before buffering it", () => {
    const framer = new Framer(1000);
    expect(() => framer.push(Buffer.from("0400000400000001", "hex"), () => undefined)).toThrow(OpenFlowDecodeError);
    expect(() => new Framer(1000).push(Buffer.from("0400ffff00000001", "hex"), () => undefined)).toThrow(/exceeds cap/);
  });

  it("never throws anything but OpenFlowDecodeError on random streams", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const framer = new Framer();
        try {
          for (const c of chunks) framer.push(Buffer.from(c), (f) => decodesOrTypedError(f));
        } catch (e) {
          expect(e).toBeInstanceOf(OpenFlowDecodeError);
        }
      }),
    );
  });
});
