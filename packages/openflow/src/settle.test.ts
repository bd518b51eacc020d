import { describe, expect, it } from "vitest";
import { Port } from "./constants.ts";
import { decodeMessage, encodeMessage } from "./codec/codec.ts";
import type { MessageOf } from "./codec/messages.ts";
import {
  decodeSettleFrame,
  encodeSettleFrame,
  SETTLE_CONTROLLER_ID,
  setControllerIdMessage,
  settleAnswerOut,
  settleFrameOf,
  settleRequestOut,
} from "./settle.ts";

const packetIn = (inPort: number, data: Uint8Array): MessageOf<"packetIn"> => ({
  type: "packetIn",
  xid: 0,
  bufferId: 0xffffffff,
  totalLen: data.length,
  reason: 1,
  tableId: 0,
  cookie: 0n,
  match: { inPort },
  data,
});

describe("the datapath-settle frame", () => {
  it("round-trips every kind, the epoch and sequence as unsigned 32-bit numbers", () => {
    for (const f of [
      { kind: "request", epoch: 1, seq: 1 },
      { kind: "settled", epoch: 0xffffffff, seq: 0 },
      { kind: "failed", epoch: 7, seq: 0x80000000, reason: "can't wait on multiple udpifs." },
    ] as const)
      expect(decodeSettleFrame(encodeSettleFrame(f))).toEqual(f);
  });

  it("is recognised only from in_port CONTROLLER: a frame an instance sends through a port is not an answer", () => {
    const frame = encodeSettleFrame({ kind: "settled", epoch: 5, seq: 9 });
    expect(settleFrameOf(packetIn(Port.CONTROLLER, frame))).toEqual({ kind: "settled", epoch: 5, seq: 9 });
    expect(settleFrameOf(packetIn(3, frame))).toBeUndefined();
    expect(settleFrameOf(packetIn(Port.LOCAL, frame))).toBeUndefined();
  });

  it("refuses other packets, other versions, unknown kinds, trailing bytes and oversized reasons", () => {
    const good = encodeSettleFrame({ kind: "request", epoch: 1, seq: 2 });
    const patched = (i: number, v: number) => Uint8Array.from(good, (b, j) => (j === i ? v : b));
    expect(decodeSettleFrame(good.subarray(0, 20))).toBeUndefined();
    expect(decodeSettleFrame(patched(13, 0x00))).toBeUndefined(); // ethertype 0x8800
    expect(decodeSettleFrame(patched(14, 0x41))).toBeUndefined(); // magic
    expect(decodeSettleFrame(patched(18, 2))).toBeUndefined(); // version
    expect(decodeSettleFrame(patched(19, 9))).toBeUndefined(); // kind
    expect(decodeSettleFrame(Uint8Array.of(...good, 1))).toBeUndefined();
    const long = encodeSettleFrame({ kind: "failed", epoch: 1, seq: 1, reason: "x".repeat(1000) });
    expect(long.length).toBe(28 + 200);
    expect(decodeSettleFrame(Uint8Array.of(...long, 0x78))).toBeUndefined();
    const noisy = encodeSettleFrame({ kind: "failed", epoch: 1, seq: 1, reason: "bad\n\u001b[31mred\u0085" });
    expect(decodeSettleFrame(noisy)).toMatchObject({ reason: "bad  [31mred " });
  });

  it("encodes as OpenFlow messages that decode back (request to the agent's controller id, answer to the controllers)", () => {
    const req = settleRequestOut(3, 4);
    expect(req.actions).toEqual([expect.objectContaining({ type: "experimenter", experimenter: 0x2320 })]);
    expect(decodeMessage(encodeMessage(req))).toEqual(req);
    const ans = settleAnswerOut({ kind: "settled", epoch: 3, seq: 4 });
    expect(ans.actions).toEqual([{ type: "output", port: Port.CONTROLLER }]);
    expect(decodeMessage(encodeMessage(ans))).toMatchObject({ type: "packetOut", inPort: Port.CONTROLLER });
    const id = setControllerIdMessage(SETTLE_CONTROLLER_ID);
    expect(Array.from(encodeMessage(id).subarray(16))).toEqual([0, 0, 0, 0, 0, 0, 0x4e, 0x56]);
  });
});
