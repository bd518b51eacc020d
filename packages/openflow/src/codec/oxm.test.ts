import { describe, expect, it } from "vitest";
import { readAction, writeAction } from "./actions.ts";
import { Reader, Writer } from "./bytes.ts";
import { readMatch, writeMatch } from "./oxm.ts";

/** The two fields the data-path guards rely on, byte for byte (OpenFlow 1.3 §7.2.3.7–8, Open vSwitch's reading). */
const bytesOf = (write: (w: Writer) => void): string => {
  const w = new Writer(64);
  write(w);
  return w.buf.subarray(0, w.pos).toString("hex");
};

describe("OXM fields of the data-path guards", () => {
  it("VLAN_VID = OFPVID_NONE: no mask, two zero bytes (matches only frames without an 802.1Q header)", () => {
    const hex = bytesOf((w) => writeMatch(w, { inPort: 2, vlanVid: 0, ethType: 0x0800 }));
    // ofp_match type 1, length 4 + 8 + 6 + 6 = 24; IN_PORT; ETH_TYPE; VLAN_VID (field 6, no mask, len 2) = 0x0000
    expect(hex).toBe("000100188000000400000002" + "80000a020800" + "80000c020000");
    expect(readMatch(new Reader(Buffer.from(hex, "hex"), 0, hex.length / 2))).toEqual({
      inPort: 2,
      vlanVid: 0,
      ethType: 0x0800,
    });
  });

  it("set_field IP_DSCP: the 6-bit DSCP in one byte, padded to 8", () => {
    const hex = bytesOf((w) => writeAction(w, { type: "setField", field: "ipDscp", value: 46 }));
    // OFPAT_SET_FIELD (25), length 16; OXM IP_DSCP (field 8, len 1) = 46; padding
    expect(hex).toBe("0019001080001001" + "2e" + "00000000000000");
    expect(readAction(new Reader(Buffer.from(hex, "hex"), 0, hex.length / 2))).toEqual({
      type: "setField",
      field: "ipDscp",
      value: 46,
    });
  });
});
