import { flowMod, Port } from "@nvi/openflow";
import { describe, expect, it } from "vitest";
import { FlowTable, matches } from "./flow-table.ts";

describe("FlowTable", () => {
  it("honours masks on MAC, IPv4 and ports", () => {
    expect(matches({ ipv4Dst: "10.0.0.0", ipv4DstMask: "255.255.255.0" }, { ipv4Dst: "10.0.0.77" })).toBe(true);
    expect(matches({ ipv4Dst: "10.0.0.0", ipv4DstMask: "255.255.255.0" }, { ipv4Dst: "10.0.1.77" })).toBe(false);
    expect(
      matches({ ethDst: "01:00:00:00:00:00", ethDstMask: "01:00:00:00:00:00" }, { ethDst: "33:33:00:00:00:01" }),
    ).toBe(true);
    expect(matches({ tcpSrc: 0x9c40, tcpSrcMask: 0xfff0 }, { tcpSrc: 0x9c4f })).toBe(true);
    expect(matches({ inPort: 1 }, {})).toBe(false);
  });

  it("picks the highest priority, follows goto, applies write-actions at the end", () => {
    const t = new FlowTable();
    t.apply(flowMod({ tableId: 0, priority: 1, instructions: [{ type: "gotoTable", tableId: 3 }] }));
    t.apply(
      flowMod({
        tableId: 0,
        priority: 5,
        match: { inPort: 1 },
        instructions: [
          { type: "writeMetadata", metadata: 0xan, mask: 0xffn },
          { type: "writeActions", actions: [{ type: "output", port: 4 }] },
          { type: "gotoTable", tableId: 3 },
        ],
      }),
    );
    t.apply(
      flowMod({
        tableId: 3,
        priority: 1,
        match: { metadata: 0xan },
        instructions: [{ type: "applyActions", actions: [{ type: "setField", field: "vlanVid", value: 0x1005 }] }],
      }),
    );
    const r = t.process({ inPort: 1 });
    expect(r.path).toEqual([
      { tableId: 0, priority: 5 },
      { tableId: 3, priority: 1 },
    ]);
    expect(r.outputs).toEqual([{ port: 4, packet: { inPort: 1, metadata: 0xan, vlanVid: 0x1005 } }]);
    expect(t.process({ inPort: 2 }).outputs).toEqual([]);
  });

  it("resolves IN_PORT and CONTROLLER, deletes by cookie mask and strictly", () => {
    const t = new FlowTable();
    t.apply(
      flowMod({
        priority: 2,
        cookie: 0x11n,
        match: { inPort: 1 },
        instructions: [
          {
            type: "applyActions",
            actions: [
              { type: "output", port: Port.IN_PORT },
              { type: "output", port: Port.CONTROLLER },
            ],
          },
        ],
      }),
    );
    t.apply(
      flowMod({
        priority: 2,
        cookie: 0x22n,
        match: { inPort: 2 },
        instructions: [{ type: "applyActions", actions: [{ type: "output", port: 1 }] }],
      }),
    );
    const r = t.process({ inPort: 1 });
    expect(r.outputs.map((o) => o.port)).toEqual([1]);
    expect(r.toController).toHaveLength(1);
    t.apply(flowMod({ command: "delete", tableId: 0xff, cookie: 0x11n, cookieMask: 0xffn }));
    expect(t.flows().map((f) => f.cookie)).toEqual([0x22n]);
    t.apply(flowMod({ command: "deleteStrict", priority: 3, match: { inPort: 2 } }));
    expect(t.flows()).toHaveLength(1);
    t.apply(flowMod({ command: "deleteStrict", priority: 2, match: { inPort: 2 } }));
    expect(t.flows()).toHaveLength(0);
  });

  it("modify changes instructions of matching flows only", () => {
    const t = new FlowTable();
    t.apply(flowMod({ priority: 2, match: { inPort: 1, ethType: 0x800 }, instructions: [] }));
    t.apply(
      flowMod({
        command: "modify",
        match: { inPort: 1 },
        instructions: [{ type: "applyActions", actions: [{ type: "output", port: 9 }] }],
      }),
    );
    expect(t.process({ inPort: 1, ethType: 0x800 }).outputs.map((o) => o.port)).toEqual([9]);
  });
});
