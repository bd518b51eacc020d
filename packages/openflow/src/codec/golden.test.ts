import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Port } from "../constants.ts";
import { decodeMessage, encodeMessage } from "./codec.ts";
import type { MessageOf, MultipartReplyBody } from "./messages.ts";

/** Frames captured from a real ovs-vswitchd 3.1 by src/test-support/capture-golden.ts (see the note in the file). */
const golden = JSON.parse(readFileSync(new URL("../fixtures/ovs-golden.json", import.meta.url), "utf8")) as {
  note: string;
  frames: Record<string, string>;
};
const frame = (name: string): Buffer => {
  const hex = golden.frames[name];
  if (!hex) throw new Error(`fixture ${name} missing`);
  return Buffer.from(hex, "hex");
};
const body = <K extends MultipartReplyBody["kind"]>(name: K): Extract<MultipartReplyBody, { kind: K }> => {
  const m = decodeMessage(frame(name)) as MessageOf<"multipartReply">;
  expect(m.type).toBe("multipartReply");
  expect(m.body.kind).toBe(name);
  return m.body as Extract<MultipartReplyBody, { kind: K }>;
};

describe("golden frames from Open vSwitch 3.1", () => {
  it.each(Object.keys(golden.frames))("%s re-encodes to the identical bytes", (name) => {
    expect(encodeMessage(decodeMessage(frame(name))).toString("hex")).toBe(golden.frames[name]);
  });

  it("HELLO carries a version bitmap with only 1.3", () => {
    expect(decodeMessage(frame("hello"))).toMatchObject({ type: "hello", version: 4, versions: [4] });
  });

  it("FEATURES_REPLY has the datapath id and 254 tables", () => {
    const m = decodeMessage(frame("featuresReply")) as MessageOf<"featuresReply">;
    expect(m).toMatchObject({ type: "featuresReply", nTables: 254, nBuffers: 0, auxiliaryId: 0 });
    expect(m.datapathId).toBeGreaterThan(0n);
  });

  it("PACKET_IN of an ARP request from port 1, no buffer, whole frame", () => {
    const m = decodeMessage(frame("packetIn")) as MessageOf<"packetIn">;
    expect(m).toMatchObject({ type: "packetIn", bufferId: 0xffffffff, reason: 0, tableId: 0, match: { inPort: 1 } });
    expect(m.data.length).toBe(m.totalLen);
    expect(Buffer.from(m.data.subarray(12, 14)).toString("hex")).toBe("0806");
  });

  it("FLOW_REMOVED on idle timeout keeps cookie, priority and match", () => {
    expect(decodeMessage(frame("flowRemoved"))).toMatchObject({
      type: "flowRemoved",
      reason: 0,
      cookie: 0x1234n,
      priority: 100,
      idleTimeout: 1,
      match: { inPort: 1, ethType: 0x0800, ipv4Dst: "10.0.0.2" },
    });
  });

  it("multipart replies: port description, flow stats, aggregate, table stats, desc", () => {
    expect(body("portDesc").ports.map((p) => p.portNo)).toContain(Port.LOCAL);
    const flows = body("flowStats").flows;
    expect(flows.find((f) => f.priority === 100)?.instructions).toEqual([
      {
        type: "applyActions",
        actions: [
          { type: "setField", field: "ethDst", value: "02:00:00:00:00:02" },
          { type: "output", port: 2 },
        ],
      },
    ]);
    expect(body("aggregate").flowCount).toBe(2);
    expect(body("tableStats").tables).toHaveLength(254);
    expect(body("desc")).toMatchObject({ mfrDesc: "Nicira, Inc.", hwDesc: "Open vSwitch" });
  });

  it("PORT_STATUS announces an added port", () => {
    expect(decodeMessage(frame("portStatus"))).toMatchObject({
      type: "portStatus",
      reason: 0,
      port: { name: "extra0" },
    });
  });
});
